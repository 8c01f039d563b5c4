// What the outbox suites share: a webhook listening to every event type, and the events it heard.
import type { ClaimedDelivery, Environment, PartnerRecord, Store } from '../../../adapters/contract.ts';
import { WEBHOOK_EVENT_NAMES } from '../../../config/webhooks.ts';
import { generateSortableId } from '../../../server/secrets.ts';

export function webhookRecord(accountId: string, environment: Environment, data: Record<string, unknown> = {}): PartnerRecord {
  const at = new Date();
  return {
    id: generateSortableId('wh'), kind: 'webhook', accountId, environment,
    data: { url: 'https://receiver.example/hook', events: [...WEBHOOK_EVENT_NAMES], ...data }, createdAt: at, updatedAt: at,
  };
}

/** Stores a webhook of the account and environment (subscribed to everything unless `data` says otherwise). */
export async function listen(store: Store, accountId: string, environment: Environment, data: Record<string, unknown> = {}): Promise<PartnerRecord> {
  const webhook = webhookRecord(accountId, environment, data);
  await store.insertWebhook(webhook);
  return webhook;
}

export interface Heard { readonly type: string; readonly data: Record<string, unknown>; readonly accountId: string; readonly environment: string }

/** Everything claimed so far, by webhook, until a test asks for it: one claim takes every webhook's deliveries. */
const claimedByWebhook = new Map<string, ClaimedDelivery[]>();

/**
 * Fans out everything pending and claims every due delivery (a fresh lease each call), then returns what
 * `webhook` got since the last call for it, oldest first.
 */
export async function heard(store: Store, webhook: PartnerRecord): Promise<Heard[]> {
  // Until none is left; a store that never marks events done would loop forever.
  for (let round = 0; await store.fanOutEvents(1000, new Date()) > 0; round += 1) {
    if (round > 50) throw new Error('fanOutEvents keeps returning events it has already fanned out');
  }
  const claimed = await store.claimDeliveries(generateSortableId('worker'), new Date(), new Date(Date.now() + 60_000), 100_000);
  for (const c of claimed) claimedByWebhook.set(c.webhook.id, [...claimedByWebhook.get(c.webhook.id) ?? [], c]);
  const mine = claimedByWebhook.get(webhook.id) ?? [];
  claimedByWebhook.delete(webhook.id);
  return mine.sort((a, b) => (a.event.id < b.event.id ? -1 : 1))
    .map((c) => ({ type: c.event.type, data: { ...c.event.data }, accountId: c.event.accountId, environment: c.event.environment }));
}

export const types = (events: readonly Heard[]) => events.map((e) => e.type);
