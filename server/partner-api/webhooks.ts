// The Partner API's webhooks: create (the signing secret shown once, in `secret`), read, change,
// delete, rotate the secret, enable again after the worker disabled it, and the delivery log.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { PartitionKey, PartnerRecord, RecordKind, Store, WebhookDelivery } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { scopesRevealedBy } from '../../config/webhooks.ts';
import { authorize, reaches } from '../authority/authorize.ts';
import { actorOfPrincipal } from '../authority/identify.ts';
import type { Target } from '../authority/rules.ts';
import { actorOf, type Principal } from '../http/principal.ts';
import { readJson } from '../http/json.ts';
import { listBody, pageRequest, reachablePage } from '../http/pagination.ts';
import type { Pepper } from '../secrets.ts';
import { generateSigningSecret, sealSigningSecret } from '../webhooks/secrets.ts';
import { PAGE_SIZES, WEBHOOK, validate } from './schemas.ts';
import { checkWebhookTarget } from '../http/outbound-url.ts';

export interface WebhookRouteDeps {
  readonly store: Store;
  readonly pepper: Pepper;
  readonly production: boolean;
  readonly scope: (name: string) => Middleware;
  readonly partition: (ctx: Context, kind: RecordKind) => PartitionKey;
  readonly found: (ctx: Context, kind: RecordKind, id: string) => Promise<PartnerRecord>;
  readonly newRecord: (kind: RecordKind, data: Record<string, unknown>, ctx: Context) => PartnerRecord;
  readonly present: (record: PartnerRecord) => { id: string } & Record<string, unknown>;
  readonly issuer: string;
}

/** A webhook's privileges: the scopes its events reveal (config/webhooks.ts). */
function webhookTarget(record: Pick<PartnerRecord, 'accountId' | 'environment' | 'data'>): Target {
  const events = Array.isArray(record.data.events) ? record.data.events.filter((e): e is string => typeof e === 'string') : [];
  return { accountId: record.accountId, environment: record.environment, scopes: scopesRevealedBy(events) };
}

const WRITE = { resource: 'webhooks', verb: 'write' } as const;


const iso = (date: Date | undefined) => date?.toISOString() ?? null;

/** One delivery in the log: what, how it went, and when it is tried next. */
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
    last_attempt_at: iso(delivery.lastAttemptAt),
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    delivered_at: iso(delivery.deliveredAt),
    created_at: delivery.createdAt.toISOString(),
  };
}

/** Drops the fields set to null (optional ones cleared) from merged data. */
const withoutNulls = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));

export function mountWebhooks(router: Router, deps: WebhookRouteDeps): void {
  const { store, pepper, scope, partition, found, newRecord, present, issuer } = deps;
  const may = scope('write:webhooks');
  const actor = (ctx: Context) => actorOfPrincipal(ctx.state.principal as Principal);

  /** The webhook named in the path, if the caller may act on it: it holds every scope its events reveal. */
  async function ownWebhook(ctx: Context, id: string): Promise<PartnerRecord> {
    const webhook = await found(ctx, 'webhook', id);
    authorize(actor(ctx), WRITE, issuer, webhookTarget(webhook));
    return webhook;
  }

  /** A webhook body, whole or partial; every create or change of a URL checks where it points. */
  async function webhookInput(ctx: Context, partial: boolean): Promise<Record<string, unknown>> {
    const data = validate(WEBHOOK, await readJson(ctx), partial);
    if (typeof data.url === 'string') await checkWebhookTarget(data.url, deps.production);
    return data;
  }

  async function replace(ctx: Context, current: PartnerRecord, data: Record<string, unknown>): Promise<PartnerRecord> {
    const updated = await store.updateRecord(partition(ctx, 'webhook'), current.id, data, new Date());
    if (!updated) throw new LatchkeyError('not_found', `no webhook "${current.id}"`);
    return updated;
  }

  // Only the webhooks the caller reaches.
  router.get('/webhooks', may, async (ctx) => {
    const { limit, startingAfter } = pageRequest(ctx, PAGE_SIZES);
    const me = actor(ctx);
    const fetched = await reachablePage((after, n) => store.listRecords(partition(ctx, 'webhook'), { limit: n, after }),
      (webhook) => reaches(me, WRITE, webhookTarget(webhook)), limit, startingAfter);
    ctx.body = listBody(fetched, limit, present);
  });
  router.post('/webhooks', may, async (ctx) => {
    const input = await webhookInput(ctx, false);
    // Subscribing reveals what the events tell: the caller must hold every scope they need.
    const p = partition(ctx, 'webhook');
    authorize(actor(ctx), WRITE, issuer, webhookTarget({ accountId: p.accountId, environment: p.environment, data: input }));
    const secret = generateSigningSecret();
    const draft = newRecord('webhook', input, ctx);
    // Who made it: a webhook dies with its creator (adapters/cascades.ts), since it would forward
    // security events to whoever holds that credential.
    const createdBy = actorOf(ctx.state.principal as Principal);
    const webhook = { ...draft, data: { ...input, created_by: createdBy, signing_secret: sealSigningSecret(pepper, draft.id, secret) } };
    await store.insertRecord(webhook);
    ctx.status = 201;
    // The only time the secret is shown: it is kept sealed and no read returns it.
    ctx.body = { ...present(webhook), secret };
  });
  router.get('/webhooks/:id', may, async (ctx) => {
    ctx.body = present(await ownWebhook(ctx, ctx.params.id!));
  });
  router.patch('/webhooks/:id', may, async (ctx) => {
    const changes = await webhookInput(ctx, true);
    const current = await ownWebhook(ctx, ctx.params.id!);
    authorize(actor(ctx), WRITE, issuer, webhookTarget({ ...current, data: { ...current.data, ...changes } }));
    ctx.body = present(await replace(ctx, current, withoutNulls({ ...current.data, ...changes })));
  });
  router.delete('/webhooks/:id', may, async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!);
    await store.deleteRecord(partition(ctx, 'webhook'), webhook.id);
    ctx.body = { id: webhook.id, object: 'webhook', deleted: true };
  });
  // A new secret at once (no overlap): receivers switch when they store it. Also how a webhook made
  // before signing existed gets its first secret.
  router.post('/webhooks/:id/rotate-secret', may, async (ctx) => {
    const current = await ownWebhook(ctx, ctx.params.id!);
    const secret = generateSigningSecret();
    const updated = await replace(ctx, current, { ...current.data, signing_secret: sealSigningSecret(pepper, current.id, secret) });
    ctx.body = { ...present(updated), secret };
  });
  // Disabled after failing for days: enabled again by its owner, with a clean slate.
  router.post('/webhooks/:id/enable', may, async (ctx) => {
    const current = await ownWebhook(ctx, ctx.params.id!);
    const data = Object.fromEntries(Object.entries(current.data).filter(([name]) => !['disabled_at', 'disabled_reason', 'failing_since'].includes(name)));
    ctx.body = present(await replace(ctx, current, data));
  });
  router.get('/webhooks/:id/deliveries', may, async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!);
    const { limit, startingAfter } = pageRequest(ctx, PAGE_SIZES);
    const { accountId } = ctx.state.principal as Principal;
    const fetched = await store.listDeliveries(accountId, webhook.id, { limit: limit + 1, before: startingAfter });
    ctx.body = listBody(fetched, limit, presentDelivery);
  });
}
