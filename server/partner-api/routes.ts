// The Partner API at /api/v1: contacts, events, webhooks, invoices. Every route names the scope it
// needs; every read and write is confined to the principal's account and environment.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { OutboxEvent, PartitionKey, PartnerRecord, RecordKind, RecordsAlong, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { actorOf, type Principal } from '../http/principal.ts';
import { idempotentPosts } from '../http/idempotency.ts';
import { requireScope } from '../guard/authenticate.ts';
import { redactKeys } from '../http/key-scan.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { INTERNAL_WEBHOOK_FIELDS } from '../webhooks/secrets.ts';
import { deleted, listOf, type Operation } from '../http/operations.ts';
import { parseBody } from '../http/schema.ts';
import { CONTACT_OBJECT, EVENT_OBJECT, INVOICE_OBJECT } from './objects.ts';
import { CONTACT, CONTACT_CHANGES, PAGE_SIZES } from './schemas.ts';
import { mountWebhooks } from './webhooks.ts';

const ID_PREFIX: Record<RecordKind, string> = { contact: 'ct', event: 'ev', webhook: 'wh', invoice: 'in' };

function partition(ctx: Context, kind: RecordKind): PartitionKey {
  const { accountId, environment } = ctx.state.principal as Principal;
  return { kind, accountId, environment };
}

const HIDDEN = new Set<string>(INTERNAL_WEBHOOK_FIELDS);

const tag = 'Partner API';
/** These routes, for the API description (/openapi.json); the webhooks' are PARTNER_WEBHOOK_OPERATIONS. */
export const PARTNER_OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/api/v1/contacts', tag, summary: 'List contacts', scope: 'read:contacts', callers: 'credential', paginated: true, status: 200, response: listOf(CONTACT_OBJECT) },
  {
    method: 'post', path: '/api/v1/contacts', tag, summary: 'Create a contact', scope: 'write:contacts', callers: 'credential',
    body: CONTACT, status: 201, response: CONTACT_OBJECT, errors: ['validation_failed'], example: { name: 'Ada Lovelace', email: 'ada@example.com', company: 'Analytical Engines' },
  },
  { method: 'get', path: '/api/v1/contacts/{id}', tag, summary: 'Get a contact', scope: 'read:contacts', callers: 'credential', status: 200, response: CONTACT_OBJECT, errors: ['not_found'] },
  {
    method: 'patch', path: '/api/v1/contacts/{id}', tag, summary: 'Change a contact', scope: 'write:contacts', callers: 'credential',
    body: CONTACT_CHANGES, status: 200, response: CONTACT_OBJECT, errors: ['not_found', 'validation_failed'], example: { phone: '+44 20 7946 0000', company: null },
  },
  { method: 'delete', path: '/api/v1/contacts/{id}', tag, summary: 'Delete a contact', scope: 'write:contacts', callers: 'credential', status: 200, response: deleted('contact'), errors: ['not_found'] },
  { method: 'get', path: '/api/v1/events', tag, summary: 'List events', scope: 'read:events', callers: 'credential', paginated: true, status: 200, response: listOf(EVENT_OBJECT) },
  { method: 'get', path: '/api/v1/invoices', tag, summary: 'List invoices', scope: 'read:billing', callers: 'credential', paginated: true, status: 200, response: listOf(INVOICE_OBJECT) },
];

/** A record as the API shows it; a webhook's sealed signing secret and health notes are never shown. */
export function present(record: PartnerRecord) {
  return {
    id: record.id,
    object: record.kind,
    ...Object.fromEntries(Object.entries(record.data).filter(([name]) => !HIDDEN.has(name))),
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
  /** NODE_ENV=production: webhooks must be https and may not point at loopback (server/http/outbound-url.ts). */
  production?: boolean;
  /** Seals webhook signing secrets (server/webhooks/secrets.ts). */
  pepper: Pepper;
}

export function partnerApiRoutes(store: Store, issuer: string, authenticate: Middleware, options: PartnerApiOptions): Router {
  const router = new Router({ prefix: '/api/v1' });
  // Idempotency-Key on every POST (a contact, a webhook), keyed by the credential and sealed under it.
  router.use(noStore, authenticate, idempotentPosts({
    store,
    actorOf: (ctx) => (ctx.state.principal ? { name: actorOf(ctx.state.principal as Principal), secret: ctx.get('authorization') } : undefined),
  }));
  const scope = (name: string) => requireScope(name, issuer);

  function newRecord(kind: RecordKind, data: Record<string, unknown>, ctx: Context): PartnerRecord {
    const now = new Date();
    return { ...partition(ctx, kind), id: generateSortableId(ID_PREFIX[kind]), data, createdAt: now, updatedAt: now };
  }

  /**
   * What a contact change stores with it, in its transaction: the entry of the event log behind
   * GET /events, and the webhook event (the outbox), so neither is lost nor sent for a change that
   * did not happen.
   */
  function announce(ctx: Context, type: string, object: PartnerRecord): RecordsAlong {
    const data = { id: object.id, object: object.kind };
    const { accountId, environment } = ctx.state.principal as Principal;
    const event: OutboxEvent = { id: generateSortableId('evt'), accountId, environment, type, data, createdAt: new Date() };
    return { records: [newRecord('event', { type, data }, ctx)], event };
  }

  async function found(ctx: Context, kind: RecordKind, id: string): Promise<PartnerRecord> {
    const item = await store.findRecord(partition(ctx, kind), id);
    // The id comes from the path: never echo a key someone put there.
    if (!item) throw new LatchkeyError('not_found', `no ${kind} "${redactKeys(id)}"`);
    return item;
  }

  router.get('/contacts', scope('read:contacts'), listHandler(store, 'contact'));
  router.get('/contacts/:id', scope('read:contacts'), async (ctx) => {
    ctx.body = present(await found(ctx, 'contact', ctx.params.id!));
  });
  router.post('/contacts', scope('write:contacts'), async (ctx) => {
    const contact = newRecord('contact', parseBody(CONTACT, await readJson(ctx)), ctx);
    await store.insertRecord(contact, announce(ctx, 'contact.created', contact));
    ctx.status = 201;
    ctx.body = present(contact);
  });
  router.patch('/contacts/:id', scope('write:contacts'), async (ctx) => {
    const changes = parseBody(CONTACT_CHANGES, await readJson(ctx));
    const current = await found(ctx, 'contact', ctx.params.id!);
    const data = Object.fromEntries(Object.entries({ ...current.data, ...changes }).filter(([, v]) => v !== null));
    const along = announce(ctx, 'contact.updated', current);
    const updated = await store.updateRecord(partition(ctx, 'contact'), current.id, data, new Date(), along);
    if (!updated) throw new LatchkeyError('not_found', `no contact "${current.id}"`);
    ctx.body = present(updated);
  });
  router.delete('/contacts/:id', scope('write:contacts'), async (ctx) => {
    const contact = await found(ctx, 'contact', ctx.params.id!);
    // Deleted meanwhile by another request: that one announced it.
    if (!await store.deleteRecord(partition(ctx, 'contact'), contact.id, announce(ctx, 'contact.deleted', contact))) {
      throw new LatchkeyError('not_found', `no contact "${contact.id}"`);
    }
    ctx.body = { id: contact.id, object: 'contact', deleted: true };
  });

  router.get('/events', scope('read:events'), listHandler(store, 'event'));

  mountWebhooks(router, { store, scope, pepper: options.pepper, production: options.production ?? false, partition, issuer });

  router.get('/invoices', scope('read:billing'), listHandler(store, 'invoice'));

  return router;
}
