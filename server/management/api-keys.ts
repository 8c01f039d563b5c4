// Management of API keys at /v1/api-keys, JSON in and out. Authorised either by a credential of the
// account holding read:api_keys / write:api_keys (it manages only its own environment: a test
// credential never touches live keys), or by a signed-in portal user of the account (session
// cookie + X-CSRF-Token header on changes), who manages both environments.
import Router from '@koa/router';
import { creatorName } from '../../adapters/cascades.ts';
import { z } from 'zod';
import type { Context } from 'koa';
import type { ApiKeyRecord, Store } from '../../adapters/contract.ts';
import { allow, authorize, keyTarget, reaches } from '../authority/authorize.ts';
import { requireFreshSignIn } from '../authority/step-up.ts';
import { identifyManager, managerOf, type Manager } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import type { Guard } from '../guard/authenticate.ts';
import { readJson } from '../http/json.ts';
import { listOf, type Operation } from '../http/operations.ts';
import { optionalText, parseBody } from '../http/schema.ts';
import { API_KEY, API_KEY_DETAIL, API_KEY_ROLLED, API_KEY_WITH_SECRET, AUDIT_EVENT } from './objects.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest, reachablePage } from '../http/pagination.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import type { Pepper } from '../secrets.ts';
import { creationsOf, environmentToCreate, idempotentManagement, optionalJson } from './access.ts';
import { keyLimitsOf, NO_LIMITS, type KeyLimits } from '../api-keys/limits.ts';
import { createKey, getKey, keyNotFound, parseOverlap, presentKey, revokeKey, rollKey } from '../api-keys/service.ts';

// The request shapes of these routes, in the order their fields are checked.
const CREATE_KEY = z.strictObject({
  environment: optionalText('environment'),
  scopes: z.union([z.string(), z.array(z.string())], { error: 'scopes must be an array of scope names' }),
  name: optionalText('name'),
  expires_at: optionalText('expires_at'),
});
const ROLL_KEY = z.strictObject({
  overlap: z.union([z.string(), z.number()], { error: 'overlap must be a duration such as "24h" or a number of seconds' }).optional(),
});
const REVOKE_KEY = z.strictObject({ reason: optionalText('reason') });

/** These routes, for the API description (/openapi.json). */
export const API_KEY_OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/v1/api-keys', tag: 'API keys', summary: 'List API keys', scope: 'read:api_keys', callers: 'either', paginated: true, status: 200, response: listOf(API_KEY) },
  {
    method: 'post', path: '/v1/api-keys', tag: 'API keys', summary: 'Create an API key', scope: 'write:api_keys', callers: 'either',
    description: 'The key is in the answer this once. A credential creates keys in its own environment, holding at most its own scopes.',
    body: CREATE_KEY, status: 201, response: API_KEY_WITH_SECRET, errors: ['validation_failed', 'forbidden', 'limit_reached', 'email_unverified', 'step_up_required'],
    example: { environment: 'test', name: 'Reporting', scopes: ['read:contacts'] },
  },
  { method: 'get', path: '/v1/api-keys/{id}', tag: 'API keys', summary: 'Get an API key', scope: 'read:api_keys', callers: 'either', status: 200, response: API_KEY_DETAIL, errors: ['not_found'] },
  {
    method: 'post', path: '/v1/api-keys/{id}/roll', tag: 'API keys', summary: 'Roll an API key', scope: 'write:api_keys', callers: 'either',
    description: 'A new key replaces this one; the old one keeps working for the overlap (none unless given).',
    body: ROLL_KEY, bodyOptional: true, status: 201, response: API_KEY_ROLLED, errors: ['not_found', 'validation_failed', 'conflict', 'step_up_required'],
    example: { overlap: '1h' },
  },
  {
    method: 'post', path: '/v1/api-keys/{id}/revoke', tag: 'API keys', summary: 'Revoke an API key', scope: 'write:api_keys', callers: 'either',
    body: REVOKE_KEY, bodyOptional: true, status: 200, response: API_KEY, errors: ['not_found', 'validation_failed'], example: { reason: 'no longer used' },
  },
  {
    method: 'get', path: '/v1/api-keys/{id}/events', tag: 'API keys', summary: 'List an API key\'s audit events', scope: 'read:audit', callers: 'either',
    description: 'Needs `read:api_keys` as well.', paginated: true, status: 200, response: listOf(AUDIT_EVENT), errors: ['not_found'],
  },
];

export interface ApiKeyRouteOptions {
  /** Live keys one account may hold (settings.apiKeysPerAccount). */
  readonly maxLiveKeys: number;
}

export function apiKeyRoutes(
  store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, options: ApiKeyRouteOptions,
): Router {
  const router = new Router({ prefix: '/v1/api-keys' });

  const may = (verb: Verb) => allow({ resource: 'api_keys', verb }, issuer);

  /** What keys this manager creates or rolls may hold: read when needed (it may cost a store read). */
  function limitsOf(manager: Manager): Promise<KeyLimits> {
    return manager.principal ? keyLimitsOf(store, manager.principal, manager.grantExpiresAt) : Promise.resolve(NO_LIMITS);
  }

  /** The key named in the path, if this manager may act on it (another account's or environment's: not_found). */
  async function ownKey(ctx: Context, id: string, verb: Verb): Promise<ApiKeyRecord> {
    const manager = managerOf(ctx);
    const key = await getKey(store, manager.accountId ?? '', id);
    authorize(manager, { resource: 'api_keys', verb }, issuer, keyTarget(key), () => keyNotFound(id));
    return key;
  }

  router.use(noStore, identifyManager(store, guard, sessions), idempotentManagement(store, sessions));

  // A credential sees its own environment only (filtered by the store, so a cursor never names a key of another).
  // Only the keys the caller reaches (its environment; for a credential, keys within its scopes).
  router.get('/', may('read'), async (ctx) => {
    const manager = managerOf(ctx);
    const accountId = manager.accountId ?? '';
    const { limit, startingAfter } = pageRequest(ctx);
    const environment = manager.environments.length === 1 ? manager.environments[0] : undefined;
    const fetched = await reachablePage((after, n) => store.listApiKeys(accountId, { limit: n, after, environment }),
      (key) => reaches(manager, { resource: 'api_keys', verb: 'read' }, keyTarget(key)), limit, startingAfter);
    ctx.body = listBody(fetched, limit, presentKey);
  });

  router.post('/', may('write'), async (ctx) => {
    const manager = managerOf(ctx);
    const body = parseBody(CREATE_KEY, await readJson(ctx));
    const environment = environmentToCreate(manager, body.environment, 'api_keys', issuer);
    if (environment === 'live') requireFreshSignIn(manager, 'live_key.create');
    const created = await createKey(store, pepper, {
      accountId: manager.accountId ?? '', environment, scopes: body.scopes, name: body.name,
      expiresAt: body.expires_at, actor: manager.name, limits: await limitsOf(manager),
      maxLiveKeys: options.maxLiveKeys,
    });
    ctx.status = 201;
    ctx.body = { ...presentKey(created.record), key: created.key };
  });

  router.get('/:id', may('read'), async (ctx) => {
    const key = await ownKey(ctx, ctx.params.id!, 'read');
    // Its creator is created_by; what it created dies with it (docs/api-keys.md).
    ctx.body = { ...presentKey(key), created: await creationsOf(store, key.accountId, creatorName('api_key', key.id)) };
  });

  router.post('/:id/roll', may('write'), async (ctx) => {
    const { overlap } = parseBody(ROLL_KEY, await optionalJson(ctx));
    const manager = managerOf(ctx);
    const key = await ownKey(ctx, ctx.params.id!, 'write');
    if (key.environment === 'live') requireFreshSignIn(manager, 'live_key.roll');
    const rolled = await rollKey(store, pepper, key, parseOverlap(overlap), manager.name, {
      limits: await limitsOf(manager), maxLiveKeys: options.maxLiveKeys,
    });
    ctx.status = 201;
    ctx.body = { ...presentKey(rolled.record), key: rolled.key, previous: presentKey(rolled.previous) };
  });

  router.post('/:id/revoke', may('write'), async (ctx) => {
    const { reason } = parseBody(REVOKE_KEY, await optionalJson(ctx));
    const key = await ownKey(ctx, ctx.params.id!, 'write');
    ctx.body = presentKey(await revokeKey(store, key, reason ?? 'revoked by the account', managerOf(ctx).name));
  });

  // A key's history is the audit log's: read:audit as well (server/authority/rules.ts), asked once
  // the key is known to be the caller's (another account's stays not_found).
  router.get('/:id/events', may('read'), async (ctx) => {
    const key = await ownKey(ctx, ctx.params.id!, 'read');
    authorize(managerOf(ctx), { resource: 'audit', verb: 'read' }, issuer);
    const { limit, startingAfter } = pageRequest(ctx);
    const fetched = await store.listTargetEvents(key.accountId, key.id, { limit: limit + 1, before: startingAfter });
    ctx.body = listBody(fetched, limit, (e) => ({
      id: e.id, object: 'audit_event', action: e.action, actor: e.actor, reason: e.reason ?? null, at: e.at.toISOString(),
    }));
  });

  return router;
}
