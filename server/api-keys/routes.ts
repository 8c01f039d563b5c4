// Management of API keys at /v1/api-keys, JSON in and out. Authorised by a credential of the
// account holding read:api_keys / write:api_keys; a credential manages only its own account's keys,
// and only in its own environment (a test credential never touches live keys).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ApiKeyRecord, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { requireScope } from '../guard/authenticate.ts';
import { actorOf, type Principal } from '../guard/principal.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import type { Pepper } from '../secrets.ts';
import { createKey, getKey, parseOverlap, presentKey, revokeKey, rollKey } from './service.ts';

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new LatchkeyError('validation_failed', `${field} must be a string`, { field });
  return value;
}

/** Roll and revoke take an optional body. */
async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) {
      throw new LatchkeyError('validation_failed', `${field}: unknown field; allowed: ${allowed.join(', ')}`, { field });
    }
  }
}

export function apiKeyRoutes(store: Store, pepper: Pepper, issuer: string, authenticate: Middleware): Router {
  const router = new Router({ prefix: '/v1/api-keys' });
  router.use(noStore, authenticate);
  const read = requireScope('read:api_keys', issuer);
  const write = requireScope('write:api_keys', issuer);

  /** The key named in the path, if the principal may see it (else not_found: no hint it exists). */
  async function ownKey(ctx: Context, id: string): Promise<ApiKeyRecord> {
    const principal = ctx.state.principal as Principal;
    const key = await getKey(store, principal.accountId, id);
    if (key.environment !== principal.environment) throw new LatchkeyError('not_found', `no API key "${key.id}"`);
    return key;
  }

  router.get('/', read, async (ctx) => {
    const principal = ctx.state.principal as Principal;
    const keys = (await store.listApiKeys(principal.accountId)).filter((k) => k.environment === principal.environment);
    ctx.body = { object: 'list', data: keys.map(presentKey), has_more: false };
  });

  router.post('/', write, async (ctx) => {
    const principal = ctx.state.principal as Principal;
    const body = await readJson(ctx);
    onlyFields(body, ['name', 'scopes', 'environment', 'expires_at']);
    const environment = optionalString(body, 'environment') ?? principal.environment;
    if (environment !== principal.environment) {
      throw new LatchkeyError('forbidden', `a ${principal.environment} credential cannot create ${environment} keys`, { field: 'environment' });
    }
    const scopes = body.scopes;
    if (!(typeof scopes === 'string' || (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string')))) {
      throw new LatchkeyError('validation_failed', 'scopes must be an array of scope names', { field: 'scopes' });
    }
    const created = await createKey(store, pepper, {
      accountId: principal.accountId, environment, scopes, name: optionalString(body, 'name'),
      expiresAt: optionalString(body, 'expires_at'), actor: actorOf(principal),
    });
    ctx.status = 201;
    ctx.body = { ...presentKey(created.record), key: created.key };
  });

  router.get('/:id', read, async (ctx) => {
    ctx.body = presentKey(await ownKey(ctx, ctx.params.id!));
  });

  router.post('/:id/roll', write, async (ctx) => {
    const body = await optionalJson(ctx);
    onlyFields(body, ['overlap']);
    const overlap = body.overlap;
    if (overlap !== undefined && typeof overlap !== 'string' && typeof overlap !== 'number') {
      throw new LatchkeyError('validation_failed', 'overlap must be a duration such as "24h" or a number of seconds', { field: 'overlap' });
    }
    const rolled = await rollKey(store, pepper, await ownKey(ctx, ctx.params.id!), parseOverlap(overlap), actorOf(ctx.state.principal as Principal));
    ctx.status = 201;
    ctx.body = { ...presentKey(rolled.record), key: rolled.key, previous: presentKey(rolled.previous) };
  });

  router.post('/:id/revoke', write, async (ctx) => {
    const body = await optionalJson(ctx);
    onlyFields(body, ['reason']);
    const key = await ownKey(ctx, ctx.params.id!);
    ctx.body = presentKey(await revokeKey(store, key, optionalString(body, 'reason') ?? 'revoked by the account', actorOf(ctx.state.principal as Principal)));
  });

  router.get('/:id/events', read, async (ctx) => {
    const key = await ownKey(ctx, ctx.params.id!);
    const events = (await store.listAuditEvents(key.accountId, 500)).filter((e) => e.targetId === key.id);
    ctx.body = {
      object: 'list',
      data: events.map((e) => ({ id: e.id, object: 'audit_event', action: e.action, actor: e.actor, reason: e.reason ?? null, at: e.at.toISOString() })),
      has_more: false,
    };
  });

  return router;
}
