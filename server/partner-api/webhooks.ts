// The Partner API's /api/v1/webhooks, kept while the Partner API is on: the webhooks of the
// principal's account and environment, through the same service as /v1/webhooks and the portal
// (server/webhooks/service.ts). The signing secret is shown once, in `secret`.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { PartitionKey, RecordKind } from '../../adapters/contract.ts';
import { authorize, reaches } from '../authority/authorize.ts';
import { actorOfPrincipal } from '../authority/identify.ts';
import { readJson } from '../http/json.ts';
import { listBody, pageRequest, reachablePage } from '../http/pagination.ts';
import type { Principal } from '../http/principal.ts';
import { deleted, listOf, type Operation } from '../http/operations.ts';
import type { Pepper } from '../secrets.ts';
import { WEBHOOK, WEBHOOK_CHANGES } from '../webhooks/input.ts';
import { DELIVERY, WEBHOOK_OBJECT, WEBHOOK_WITH_SECRET } from '../webhooks/objects.ts';
import type { Store } from '../../adapters/contract.ts';
import {
  changeWebhook, createWebhook, deleteWebhook, findWebhook, presentDelivery, presentWebhook, rotateWebhookSecret, setWebhookEnabled,
  webhookInput, webhookTarget,
} from '../webhooks/service.ts';
import { PAGE_SIZES } from './schemas.ts';

export interface WebhookRouteDeps {
  readonly store: Store;
  readonly pepper: Pepper;
  readonly production: boolean;
  readonly scope: (name: string) => Middleware;
  readonly partition: (ctx: Context, kind: RecordKind) => PartitionKey;
  readonly issuer: string;
}

const WRITE = { resource: 'webhooks', verb: 'write' } as const;

const op = (o: Omit<Operation, 'tag' | 'callers' | 'scope' | 'paginated'>): Operation => ({
  ...o, tag: 'Partner API: webhooks', callers: 'credential', scope: 'write:webhooks',
  paginated: o.method === 'get' && !o.path.endsWith('}'),
});

/** These routes, for the API description (/openapi.json). */
export const PARTNER_WEBHOOK_OPERATIONS: readonly Operation[] = [
  op({ method: 'get', path: '/api/v1/webhooks', summary: 'List the webhooks of this credential\'s environment', status: 200, response: listOf(WEBHOOK_OBJECT) }),
  op({
    method: 'post', path: '/api/v1/webhooks', summary: 'Create a webhook', description: 'The signing secret is in the answer this once.',
    body: WEBHOOK, status: 201, response: WEBHOOK_WITH_SECRET, errors: ['validation_failed', 'forbidden', 'limit_reached'],
    example: { url: 'https://hooks.example.com/contacts', events: ['contact.created'] },
  }),
  op({ method: 'get', path: '/api/v1/webhooks/{id}', summary: 'Get a webhook', status: 200, response: WEBHOOK_OBJECT, errors: ['not_found'] }),
  op({
    method: 'patch', path: '/api/v1/webhooks/{id}', summary: 'Change a webhook', body: WEBHOOK_CHANGES, status: 200, response: WEBHOOK_OBJECT,
    errors: ['not_found', 'validation_failed', 'forbidden'], example: { events: ['contact.created', 'contact.updated'] },
  }),
  op({ method: 'post', path: '/api/v1/webhooks/{id}/rotate-secret', summary: 'Rotate a webhook\'s signing secret', status: 200, response: WEBHOOK_WITH_SECRET, errors: ['not_found'] }),
  op({ method: 'post', path: '/api/v1/webhooks/{id}/enable', summary: 'Resume deliveries to a webhook', status: 200, response: WEBHOOK_OBJECT, errors: ['not_found'] }),
  op({ method: 'get', path: '/api/v1/webhooks/{id}/deliveries', summary: 'List a webhook\'s deliveries', status: 200, response: listOf(DELIVERY), errors: ['not_found'] }),
  op({ method: 'delete', path: '/api/v1/webhooks/{id}', summary: 'Delete a webhook', status: 200, response: deleted('webhook'), errors: ['not_found'] }),
];

export function mountWebhooks(router: Router, deps: WebhookRouteDeps): void {
  const { store, pepper, scope, partition, issuer, production } = deps;
  const may = scope('write:webhooks');
  const actor = (ctx: Context) => actorOfPrincipal(ctx.state.principal as Principal);
  const place = (ctx: Context) => partition(ctx, 'webhook');
  const acting = (ctx: Context) => ({ name: actor(ctx).name, production });

  /** The webhook named in the path, if the caller may act on it: it holds every scope its events reveal. */
  async function ownWebhook(ctx: Context, id: string) {
    const webhook = await findWebhook(store, place(ctx), id);
    authorize(actor(ctx), WRITE, issuer, webhookTarget(webhook));
    return webhook;
  }

  // Only the webhooks the caller reaches.
  router.get('/webhooks', may, async (ctx) => {
    const { limit, startingAfter } = pageRequest(ctx, PAGE_SIZES);
    const me = actor(ctx);
    const fetched = await reachablePage((after, n) => store.listWebhooks(place(ctx), { limit: n, after }),
      (webhook) => reaches(me, WRITE, webhookTarget(webhook)), limit, startingAfter);
    ctx.body = listBody(fetched, limit, presentWebhook);
  });
  router.post('/webhooks', may, async (ctx) => {
    const input = await webhookInput(await readJson(ctx), false, production);
    // Subscribing reveals what the events tell: the caller must hold every scope they need.
    authorize(actor(ctx), WRITE, issuer, webhookTarget({ ...place(ctx), data: input }));
    const { webhook, secret } = await createWebhook(store, pepper, place(ctx), input, acting(ctx));
    ctx.status = 201;
    // The only time the secret is shown: it is kept sealed and no read returns it.
    ctx.body = { ...presentWebhook(webhook), secret };
  });
  router.get('/webhooks/:id', may, async (ctx) => {
    ctx.body = presentWebhook(await ownWebhook(ctx, ctx.params.id!));
  });
  router.patch('/webhooks/:id', may, async (ctx) => {
    const changes = await webhookInput(await readJson(ctx), true, production);
    const current = await ownWebhook(ctx, ctx.params.id!);
    authorize(actor(ctx), WRITE, issuer, webhookTarget({ ...current, data: { ...current.data, ...changes } }));
    ctx.body = presentWebhook(await changeWebhook(store, current, changes, acting(ctx)));
  });
  router.delete('/webhooks/:id', may, async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!);
    await deleteWebhook(store, webhook, acting(ctx));
    ctx.body = { id: webhook.id, object: 'webhook', deleted: true };
  });
  router.post('/webhooks/:id/rotate-secret', may, async (ctx) => {
    const { webhook, secret } = await rotateWebhookSecret(store, pepper, await ownWebhook(ctx, ctx.params.id!), acting(ctx));
    ctx.body = { ...presentWebhook(webhook), secret };
  });
  router.post('/webhooks/:id/enable', may, async (ctx) => {
    ctx.body = presentWebhook(await setWebhookEnabled(store, await ownWebhook(ctx, ctx.params.id!), true, acting(ctx)));
  });
  router.get('/webhooks/:id/deliveries', may, async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!);
    const { limit, startingAfter } = pageRequest(ctx, PAGE_SIZES);
    const fetched = await store.listDeliveries(webhook.accountId, webhook.id, { limit: limit + 1, before: startingAfter });
    ctx.body = listBody(fetched, limit, presentDelivery);
  });
}
