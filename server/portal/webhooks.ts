// The account's webhooks, both environments, each with its recent deliveries: where it points, what
// it hears, whether the worker disabled it, and how each delivery went. Read-only: webhooks are
// made and changed through the Partner API (/api/v1/webhooks), which shows the secret once.
import type { Context } from 'koa';
import type { Environment, PartnerRecord, Store, WebhookDelivery } from '../../adapters/contract.ts';
import { sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';

/** Webhooks listed per environment, and deliveries shown per webhook. */
export const PORTAL_WEBHOOKS = 50;
export const PORTAL_DELIVERIES = 10;

const STATUS_WORDS: Record<WebhookDelivery['status'], string> = { pending: 'Retrying', delivered: 'Delivered', failed: 'Failed' };

function describeDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    eventId: delivery.eventId,
    status: delivery.status === 'pending' && delivery.attempts === 0 ? 'Queued' : STATUS_WORDS[delivery.status],
    attempts: delivery.attempts,
    statusCode: delivery.lastStatusCode,
    error: delivery.lastError,
    at: delivery.deliveredAt ?? delivery.lastAttemptAt ?? delivery.createdAt,
    next: delivery.status === 'pending' ? delivery.nextAttemptAt : undefined,
  };
}

async function describeWebhook(store: Store, webhook: PartnerRecord) {
  const deliveries = await store.listDeliveries(webhook.accountId, webhook.id, { limit: PORTAL_DELIVERIES });
  return {
    id: webhook.id,
    environment: webhook.environment,
    url: String(webhook.data.url),
    description: typeof webhook.data.description === 'string' ? webhook.data.description : '',
    events: Array.isArray(webhook.data.events) ? (webhook.data.events as string[]) : [],
    disabledAt: typeof webhook.data.disabled_at === 'string' ? webhook.data.disabled_at : undefined,
    signed: typeof webhook.data.signing_secret === 'string',
    deliveries: deliveries.map(describeDelivery),
  };
}

async function webhooksOf(store: Store, accountId: string, environment: Environment) {
  const records = await store.listRecords({ kind: 'webhook', accountId, environment }, { limit: PORTAL_WEBHOOKS });
  return Promise.all(records.map((record) => describeWebhook(store, record)));
}

export function mountWebhooks({ router, store, sessions }: PortalDeps): void {
  router.get('/webhooks', signedInWith(sessions), async (ctx: Context) => {
    const { accountId } = sessionOf(ctx);
    const [live, test] = await Promise.all([webhooksOf(store, accountId, 'live'), webhooksOf(store, accountId, 'test')]);
    await showPage(ctx, 'portal-webhooks', { webhooks: [...live, ...test] });
  });
}
