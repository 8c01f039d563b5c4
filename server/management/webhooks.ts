// Webhooks at /v1/webhooks, JSON in and out: Latchkey's own credential and security events (and the
// Partner API's contact events when it is on), whatever LATCHKEY_PARTNER_API says. Authorised as the
// other management routes (server/authority/): a credential of the account holding write:webhooks,
// in its own environment, acting only on webhooks whose events reveal nothing it does not hold; or a
// signed-in portal user of the account, in both environments. The signing secret is shown once.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Environment, PartnerRecord, Store } from '../../adapters/contract.ts';
import { allow, authorize, reaches } from '../authority/authorize.ts';
import { identifyManager, managerOf } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import type { Guard } from '../guard/authenticate.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import { deleted, listOf, type Operation } from '../http/operations.ts';
import { optionalText, parseBody } from '../http/schema.ts';
import { WEBHOOK, WEBHOOK_CHANGES } from '../webhooks/input.ts';
import { DELIVERY, WEBHOOK_OBJECT, WEBHOOK_TEST, WEBHOOK_WITH_SECRET } from '../webhooks/objects.ts';
import type { Pepper } from '../secrets.ts';
import {
  changeWebhook, createWebhook, deleteWebhook, findWebhookIn, presentDelivery, presentWebhook, redeliver, rotateWebhookSecret, sendTestEvent,
  setWebhookEnabled, webhookInput, webhookNotFound, webhookTarget,
} from '../webhooks/service.ts';
import { environmentToCreate, idempotentManagement } from './access.ts';

/** Where a new webhook goes; the rest of the body is the webhook's (server/webhooks/input.ts). */
const PLACE = z.object({ environment: optionalText('environment') });

const tag = 'Webhooks';
const op = (o: Omit<Operation, 'tag' | 'callers' | 'scope'>): Operation => ({ ...o, tag, callers: 'either', scope: 'write:webhooks' });

/** These routes, for the API description (/openapi.json). */
export const WEBHOOK_OPERATIONS: readonly Operation[] = [
  op({ method: 'get', path: '/v1/webhooks', summary: 'List webhooks', paginated: true, status: 200, response: listOf(WEBHOOK_OBJECT) }),
  op({
    method: 'post', path: '/v1/webhooks', summary: 'Create a webhook',
    description: 'The signing secret is in the answer this once. The caller must hold every scope the events reveal.',
    body: WEBHOOK.extend(PLACE.shape), status: 201, response: WEBHOOK_WITH_SECRET, errors: ['validation_failed', 'forbidden', 'limit_reached'],
    example: { environment: 'test', url: 'https://hooks.example.com/latchkey', events: ['api_key.revoked'], description: 'Audit sink' },
  }),
  op({ method: 'get', path: '/v1/webhooks/{id}', summary: 'Get a webhook', status: 200, response: WEBHOOK_OBJECT, errors: ['not_found'] }),
  op({
    method: 'patch', path: '/v1/webhooks/{id}', summary: 'Change a webhook', body: WEBHOOK_CHANGES, status: 200, response: WEBHOOK_OBJECT,
    errors: ['not_found', 'validation_failed', 'forbidden'], example: { description: 'Audit sink (EU)' },
  }),
  op({ method: 'post', path: '/v1/webhooks/{id}/rotate-secret', summary: 'Rotate a webhook\'s signing secret', status: 200, response: WEBHOOK_WITH_SECRET, errors: ['not_found'] }),
  op({ method: 'post', path: '/v1/webhooks/{id}/disable', summary: 'Stop deliveries to a webhook', status: 200, response: WEBHOOK_OBJECT, errors: ['not_found'] }),
  op({ method: 'post', path: '/v1/webhooks/{id}/enable', summary: 'Resume deliveries to a webhook', status: 200, response: WEBHOOK_OBJECT, errors: ['not_found'] }),
  op({ method: 'post', path: '/v1/webhooks/{id}/test', summary: 'Send a test event', status: 202, response: WEBHOOK_TEST, errors: ['not_found'] }),
  op({ method: 'get', path: '/v1/webhooks/{id}/deliveries', summary: 'List a webhook\'s deliveries', paginated: true, status: 200, response: listOf(DELIVERY), errors: ['not_found'] }),
  op({
    method: 'post', path: '/v1/webhooks/{id}/deliveries/{delivery}/redeliver', summary: 'Deliver an event again', status: 202, response: DELIVERY,
    errors: ['not_found', 'conflict'],
  }),
  op({ method: 'delete', path: '/v1/webhooks/{id}', summary: 'Delete a webhook', status: 200, response: deleted('webhook'), errors: ['not_found'] }),
];

export function webhookRoutes(store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, production: boolean): Router {
  const router = new Router({ prefix: '/v1/webhooks' });
  const may = (verb: Verb) => allow({ resource: 'webhooks', verb }, issuer);
  const acting = (ctx: Context) => ({ name: managerOf(ctx).name, production });

  /** The webhook named in the path, in one of the manager's environments, if it may act on it. */
  async function ownWebhook(ctx: Context, id: string, verb: Verb): Promise<PartnerRecord> {
    const manager = managerOf(ctx);
    const webhook = await findWebhookIn(store, manager.accountId ?? '', manager.environments, id);
    authorize(manager, { resource: 'webhooks', verb }, issuer, webhookTarget(webhook), () => webhookNotFound(id));
    return webhook;
  }

  router.use(noStore, identifyManager(store, guard, sessions), idempotentManagement(store, sessions));

  // The manager's environments, newest first per environment page; only the webhooks it reaches.
  router.get('/', may('read'), async (ctx) => {
    const manager = managerOf(ctx);
    const { limit, startingAfter } = pageRequest(ctx);
    const pages = await Promise.all(manager.environments.map((environment: Environment) =>
      store.listWebhooks({ accountId: manager.accountId ?? '', environment }, { limit: limit + 1, after: startingAfter })));
    const reached = pages.flat().filter((w) => reaches(manager, { resource: 'webhooks', verb: 'read' }, webhookTarget(w)))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    ctx.body = listBody(reached.slice(0, limit + 1), limit, presentWebhook);
  });

  router.post('/', may('write'), async (ctx) => {
    const manager = managerOf(ctx);
    const { environment: named, ...fields } = await readJson(ctx);
    const { environment: asked } = parseBody(PLACE, { environment: named });
    const environment = environmentToCreate(manager, asked, 'webhooks', issuer) as Environment;
    const input = await webhookInput(fields, false, production);
    const place = { accountId: manager.accountId ?? '', environment };
    // Subscribing reveals what the events tell: the caller must hold every scope they need.
    authorize(manager, { resource: 'webhooks', verb: 'write' }, issuer, webhookTarget({ ...place, data: input }));
    const { webhook, secret } = await createWebhook(store, pepper, place, input, acting(ctx));
    ctx.status = 201;
    ctx.body = { ...presentWebhook(webhook), secret };
  });

  router.get('/:id', may('read'), async (ctx) => {
    ctx.body = presentWebhook(await ownWebhook(ctx, ctx.params.id!, 'read'));
  });

  router.patch('/:id', may('write'), async (ctx) => {
    const changes = await webhookInput(await readJson(ctx), true, production);
    const current = await ownWebhook(ctx, ctx.params.id!, 'write');
    authorize(managerOf(ctx), { resource: 'webhooks', verb: 'write' }, issuer, webhookTarget({ ...current, data: { ...current.data, ...changes } }));
    ctx.body = presentWebhook(await changeWebhook(store, current, changes, acting(ctx)));
  });

  router.delete('/:id', may('write'), async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!, 'write');
    await deleteWebhook(store, webhook, acting(ctx));
    ctx.body = { id: webhook.id, object: 'webhook', deleted: true };
  });

  router.post('/:id/rotate-secret', may('write'), async (ctx) => {
    const { webhook, secret } = await rotateWebhookSecret(store, pepper, await ownWebhook(ctx, ctx.params.id!, 'write'), acting(ctx));
    ctx.body = { ...presentWebhook(webhook), secret };
  });

  router.post('/:id/enable', may('write'), async (ctx) => {
    ctx.body = presentWebhook(await setWebhookEnabled(store, await ownWebhook(ctx, ctx.params.id!, 'write'), true, acting(ctx)));
  });

  router.post('/:id/disable', may('write'), async (ctx) => {
    ctx.body = presentWebhook(await setWebhookEnabled(store, await ownWebhook(ctx, ctx.params.id!, 'write'), false, acting(ctx)));
  });

  router.post('/:id/test', may('write'), async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!, 'write');
    ctx.status = 202;
    ctx.body = { object: 'webhook_test', webhook_id: webhook.id, event_id: await sendTestEvent(store, webhook) };
  });

  router.get('/:id/deliveries', may('read'), async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!, 'read');
    const { limit, startingAfter } = pageRequest(ctx);
    const fetched = await store.listDeliveries(webhook.accountId, webhook.id, { limit: limit + 1, before: startingAfter });
    ctx.body = listBody(fetched, limit, presentDelivery);
  });

  router.post('/:id/deliveries/:delivery/redeliver', may('write'), async (ctx) => {
    const webhook = await ownWebhook(ctx, ctx.params.id!, 'write');
    ctx.status = 202;
    ctx.body = presentDelivery(await redeliver(store, webhook, ctx.params.delivery!));
  });

  return router;
}
