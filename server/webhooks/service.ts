// Webhooks as a capability of their own: what the management API (/v1/webhooks), the portal and the
// Partner API's /api/v1/webhooks all do to an account's webhooks, per environment. Latchkey's own
// credential and security events need no Partner API; its contact events come with it. Stored as
// webhooks of the store's own (per account and environment, apart from the Partner API's records), each with its signing secret sealed under the pepper. Every change is audited. Who may
// do which is the authority module's (a webhook is acted on with the scopes its events reveal).
import type { Environment, PartnerRecord, Store, WebhookDelivery, WebhookPlace } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { TEST_EVENT_TYPE, scopesRevealedBy } from '../../config/webhooks.ts';
import { checkWebhookTarget } from '../http/outbound-url.ts';
import { parseBody } from '../http/schema.ts';
import { redactKeys } from '../http/key-scan.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { WEBHOOK, WEBHOOK_CHANGES } from './input.ts';
import { INTERNAL_WEBHOOK_FIELDS, generateSigningSecret, sealSigningSecret } from './secrets.ts';

export type { WebhookPlace } from '../../adapters/contract.ts';

/** Who acts (audit events name them) and where webhooks may point. */
export interface WebhookActor {
  readonly name: string;
  readonly production: boolean;
}

const placeOf = (webhook: Pick<PartnerRecord, 'accountId' | 'environment'>): WebhookPlace => ({ accountId: webhook.accountId, environment: webhook.environment });

export function eventsOf(webhook: Pick<PartnerRecord, 'data'>): string[] {
  const events = webhook.data.events;
  return Array.isArray(events) ? events.filter((e): e is string => typeof e === 'string') : [];
}

/** A webhook as the authority module sees it: its account, environment and the scopes its events reveal. */
export function webhookTarget(webhook: Pick<PartnerRecord, 'accountId' | 'environment' | 'data'>) {
  return { accountId: webhook.accountId, environment: webhook.environment, scopes: scopesRevealedBy(eventsOf(webhook)) };
}

export function webhookNotFound(id: string): LatchkeyError {
  // The id comes from the path or a form: never echo a key someone put there.
  return new LatchkeyError('not_found', `no webhook "${redactKeys(id).slice(0, 100)}"`);
}

export async function findWebhook(store: Store, place: WebhookPlace, id: string): Promise<PartnerRecord> {
  const webhook = await store.findWebhook(place, id);
  if (!webhook) throw webhookNotFound(id);
  return webhook;
}

/** The account's webhook with this id in whichever of `environments` holds it (ids are unique across both). */
export async function findWebhookIn(store: Store, accountId: string, environments: readonly Environment[], id: string): Promise<PartnerRecord> {
  for (const environment of environments) {
    const webhook = await store.findWebhook({ accountId, environment }, id);
    if (webhook) return webhook;
  }
  throw webhookNotFound(id);
}

/** A webhook body, whole or partial; a new URL is checked against where deliveries may go. */
export async function webhookInput(body: Record<string, unknown>, partial: boolean, production: boolean): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = partial ? parseBody(WEBHOOK_CHANGES, body) : parseBody(WEBHOOK, body);
  if (typeof data.url === 'string') await checkWebhookTarget(data.url, production);
  return data;
}

async function audit(store: Store, webhook: PartnerRecord, action: string, actor: string, reason?: string): Promise<void> {
  await store.recordAuditEvent({
    id: generateSortableId('evt'), accountId: webhook.accountId, actor, action, targetId: webhook.id, reason, at: new Date(),
    detail: { url: typeof webhook.data.url === 'string' ? webhook.data.url : '', events: eventsOf(webhook).join(' '), environment: webhook.environment },
  });
}

/** Makes a webhook; its signing secret is returned this once (it is kept sealed). */
export async function createWebhook(
  store: Store, pepper: Pepper, place: WebhookPlace, input: Record<string, unknown>, actor: WebhookActor,
): Promise<{ webhook: PartnerRecord; secret: string }> {
  const now = new Date();
  const id = generateSortableId('wh');
  const secret = generateSigningSecret();
  // Who made it: a webhook dies with its creator (adapters/cascades.ts), since it would forward
  // security events to whoever holds that credential.
  const data = { ...input, created_by: actor.name, signing_secret: sealSigningSecret(pepper, id, secret) };
  const webhook: PartnerRecord = { kind: 'webhook', accountId: place.accountId, environment: place.environment, id, data, createdAt: now, updatedAt: now };
  await store.insertWebhook(webhook);
  await audit(store, webhook, 'webhook.created', actor.name);
  return { webhook, secret };
}

async function replace(store: Store, current: PartnerRecord, data: Record<string, unknown>): Promise<PartnerRecord> {
  const updated = await store.updateWebhook(placeOf(current), current.id, data, new Date());
  if (!updated) throw webhookNotFound(current.id);
  return updated;
}

/** Applies a partial change (null clears the description). */
export async function changeWebhook(store: Store, current: PartnerRecord, changes: Record<string, unknown>, actor: WebhookActor): Promise<PartnerRecord> {
  const data = Object.fromEntries(Object.entries({ ...current.data, ...changes }).filter(([, v]) => v !== null));
  const updated = await replace(store, current, data);
  await audit(store, updated, 'webhook.updated', actor.name);
  return updated;
}

export async function deleteWebhook(store: Store, webhook: PartnerRecord, actor: WebhookActor): Promise<void> {
  if (!await store.deleteWebhook(placeOf(webhook), webhook.id)) throw webhookNotFound(webhook.id);
  await audit(store, webhook, 'webhook.deleted', actor.name);
}

/** A new secret at once (no overlap): receivers switch when they store it. Returned this once. */
export async function rotateWebhookSecret(
  store: Store, pepper: Pepper, current: PartnerRecord, actor: WebhookActor,
): Promise<{ webhook: PartnerRecord; secret: string }> {
  const secret = generateSigningSecret();
  const webhook = await replace(store, current, { ...current.data, signing_secret: sealSigningSecret(pepper, current.id, secret) });
  await audit(store, webhook, 'webhook.secret_rotated', actor.name);
  return { webhook, secret };
}

const HEALTH_NOTES = ['disabled_at', 'disabled_reason', 'failing_since'];

/** Disabled by its owner (or, after failing for days, by the worker); enabled again with a clean slate. */
export async function setWebhookEnabled(store: Store, current: PartnerRecord, enabled: boolean, actor: WebhookActor): Promise<PartnerRecord> {
  const rest = Object.fromEntries(Object.entries(current.data).filter(([name]) => !HEALTH_NOTES.includes(name)));
  const data = enabled ? rest : { ...rest, disabled_at: new Date().toISOString(), disabled_reason: `disabled by ${actor.name}` };
  const updated = await replace(store, current, data);
  await audit(store, updated, enabled ? 'webhook.enabled' : 'webhook.disabled', actor.name, enabled ? undefined : 'disabled_by_owner');
  return updated;
}

/** Queues a test event for this webhook alone; its id. */
export async function sendTestEvent(store: Store, webhook: PartnerRecord): Promise<string> {
  const id = generateSortableId('evt');
  await store.enqueueEvent({
    id, accountId: webhook.accountId, environment: webhook.environment, type: TEST_EVENT_TYPE,
    data: { webhook_id: webhook.id, message: 'A test event sent from Latchkey: if you can read this, the endpoint works.' }, createdAt: new Date(),
  });
  return id;
}

/** Sends a delivery again from the first attempt (one that is still retrying is left to its schedule). */
export async function redeliver(store: Store, webhook: PartnerRecord, deliveryId: string): Promise<WebhookDelivery> {
  const delivery = await store.redeliver(webhook.accountId, webhook.id, deliveryId, new Date());
  if (!delivery) throw new LatchkeyError('not_found', `no finished delivery "${redactKeys(deliveryId).slice(0, 100)}" of this webhook`);
  return delivery;
}

const HIDDEN = new Set<string>(INTERNAL_WEBHOOK_FIELDS);
const iso = (date: Date | undefined) => date?.toISOString() ?? null;

/** A webhook as the APIs show it: never its sealed signing secret or health notes. */
export function presentWebhook(webhook: PartnerRecord) {
  return {
    id: webhook.id,
    object: 'webhook',
    ...Object.fromEntries(Object.entries(webhook.data).filter(([name]) => !HIDDEN.has(name))),
    environment: webhook.environment,
    livemode: webhook.environment === 'live',
    created_at: webhook.createdAt.toISOString(),
    updated_at: webhook.updatedAt.toISOString(),
  };
}

/** One delivery in the log: what, how it went (what was sent, the start of the answer), and when it is tried next. */
export function presentDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    object: 'webhook_delivery',
    webhook_id: delivery.webhookId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status_code: delivery.lastStatusCode ?? null,
    last_error: delivery.lastError ?? null,
    last_request: delivery.lastRequest ?? null,
    last_response: delivery.lastResponse ?? null,
    last_attempt_at: iso(delivery.lastAttemptAt),
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    delivered_at: iso(delivery.deliveredAt),
    created_at: delivery.createdAt.toISOString(),
  };
}
