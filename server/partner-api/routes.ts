// The Partner API at /api/v1: contacts, events, webhooks, invoices. Every route names the scope it
// needs; every read and write is confined to the principal's account and environment.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { PartitionKey, PartnerRecord, RecordKind, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import type { Principal } from '../guard/principal.ts';
import { requireScope } from '../guard/authenticate.ts';
import { redactKeys } from '../guard/key-scan.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import { generateSortableId } from '../secrets.ts';
import { CONTACT, WEBHOOK, validate } from './schemas.ts';
import { checkWebhookTarget } from './webhook-url.ts';

const ID_PREFIX: Record<RecordKind, string> = { contact: 'ct', event: 'ev', webhook: 'wh', invoice: 'in' };
const PAGE_SIZES = { defaultSize: 20, maxSize: 100 };

function partition(ctx: Context, kind: RecordKind): PartitionKey {
  const { accountId, environment } = ctx.state.principal as Principal;
  return { kind, accountId, environment };
}

function present(record: PartnerRecord) {
  return {
    id: record.id,
    object: record.kind,
    ...record.data,
    livemode: record.environment === 'live',
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

/** A handler that lists one kind; also used by bench/ as the uncredentialed baseline. */
export function listHandler(store: Store, kind: RecordKind, partitionOf = (ctx: Context) => partition(ctx, kind)): Middleware {
  return async function list(ctx) {
    const { limit, startingAfter } = pageRequest(ctx, PAGE_SIZES);
    ctx.body = listBody(await store.listRecords(partitionOf(ctx), { limit: limit + 1, after: startingAfter }), limit, present);
  };
}

export interface PartnerApiOptions {
  /** NODE_ENV=production: webhooks must be https and may not point at loopback (webhook-url.ts). */
  production?: boolean;
}

export function partnerApiRoutes(store: Store, issuer: string, authenticate: Middleware, options: PartnerApiOptions = {}): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.use(noStore, authenticate);
  const scope = (name: string) => requireScope(name, issuer);

  async function record(kind: RecordKind, data: Record<string, unknown>, ctx: Context): Promise<PartnerRecord> {
    const now = new Date();
    const created: PartnerRecord = { ...partition(ctx, kind), id: generateSortableId(ID_PREFIX[kind]), data, createdAt: now, updatedAt: now };
    await store.insertRecord(created);
    return created;
  }

  /** The event log behind GET /events (webhook deliveries would read it too). */
  function emit(ctx: Context, type: string, object: PartnerRecord) {
    return record('event', { type, data: { id: object.id, object: object.kind } }, ctx);
  }

  async function found(ctx: Context, kind: RecordKind, id: string): Promise<PartnerRecord> {
    const item = await store.findRecord(partition(ctx, kind), id);
    // The id comes from the path: never echo a key someone put there.
    if (!item) throw new LatchkeyError('not_found', `no ${kind} "${redactKeys(id)}"`);
    return item;
  }

  /** A webhook body, whole or partial; every create or change of a URL checks where it points. */
  async function webhookInput(ctx: Context, partial: boolean): Promise<Record<string, unknown>> {
    const data = validate(WEBHOOK, await readJson(ctx), partial);
    if (typeof data.url === 'string') await checkWebhookTarget(data.url, options.production ?? false);
    return data;
  }

  router.get('/contacts', scope('read:contacts'), listHandler(store, 'contact'));
  router.get('/contacts/:id', scope('read:contacts'), async (ctx) => {
    ctx.body = present(await found(ctx, 'contact', ctx.params.id!));
  });
  router.post('/contacts', scope('write:contacts'), async (ctx) => {
    const contact = await record('contact', validate(CONTACT, await readJson(ctx), false), ctx);
    await emit(ctx, 'contact.created', contact);
    ctx.status = 201;
    ctx.body = present(contact);
  });
  router.patch('/contacts/:id', scope('write:contacts'), async (ctx) => {
    const changes = validate(CONTACT, await readJson(ctx), true);
    const current = await found(ctx, 'contact', ctx.params.id!);
    const data = Object.fromEntries(Object.entries({ ...current.data, ...changes }).filter(([, v]) => v !== null));
    const updated = await store.updateRecord(partition(ctx, 'contact'), current.id, data, new Date());
    if (!updated) throw new LatchkeyError('not_found', `no contact "${current.id}"`);
    await emit(ctx, 'contact.updated', updated);
    ctx.body = present(updated);
  });
  router.delete('/contacts/:id', scope('write:contacts'), async (ctx) => {
    const contact = await found(ctx, 'contact', ctx.params.id!);
    await store.deleteRecord(partition(ctx, 'contact'), contact.id);
    await emit(ctx, 'contact.deleted', contact);
    ctx.body = { id: contact.id, object: 'contact', deleted: true };
  });

  router.get('/events', scope('read:events'), listHandler(store, 'event'));

  router.get('/webhooks', scope('write:webhooks'), listHandler(store, 'webhook'));
  router.post('/webhooks', scope('write:webhooks'), async (ctx) => {
    const webhook = await record('webhook', await webhookInput(ctx, false), ctx);
    ctx.status = 201;
    ctx.body = present(webhook);
  });
  router.delete('/webhooks/:id', scope('write:webhooks'), async (ctx) => {
    const webhook = await found(ctx, 'webhook', ctx.params.id!);
    await store.deleteRecord(partition(ctx, 'webhook'), webhook.id);
    ctx.body = { id: webhook.id, object: 'webhook', deleted: true };
  });

  router.get('/invoices', scope('read:billing'), listHandler(store, 'invoice'));

  return router;
}
