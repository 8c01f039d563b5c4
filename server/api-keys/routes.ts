// Management of API keys at /v1/api-keys, JSON in and out. Authorised either by a credential of the
// account holding read:api_keys / write:api_keys (it manages only its own environment: a test
// credential never touches live keys), or by a signed-in portal user of the account (session
// cookie + X-CSRF-Token header on changes), who manages both environments.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { ApiKeyRecord, Environment, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { insufficientScope, type Guard } from '../guard/authenticate.ts';
import { actorOf, type Principal } from '../guard/principal.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import { sameToken, type PortalSessions } from '../portal/sessions.ts';
import type { Pepper } from '../secrets.ts';
import { keyLimitsOf, liveGrantExpiry, NO_LIMITS, type KeyLimits } from './limits.ts';
import { createKey, getKey, parseOverlap, presentKey, revokeKey, rollKey } from './service.ts';

/** Who manages keys in this request, and where. */
export interface Manager {
  readonly accountId: string;
  readonly environments: readonly Environment[];
  readonly actor: string;
  readonly scopes: ReadonlySet<string>;
  /** The credential, when not a signed-in user: what it may mint is limited to what it holds. */
  readonly principal: Principal | undefined;
  /** For a user-delegated token: its grant's expiry, read (and found alive) for this request. */
  readonly grantExpiresAt: Date | undefined;
}

const MANAGE_ALL = new Set(['read:api_keys', 'write:api_keys']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Roll and revoke take an optional body. */
async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new LatchkeyError('validation_failed', `${field} must be a string`, { field });
  return value;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) {
      throw new LatchkeyError('validation_failed', `${field}: unknown field; allowed: ${allowed.join(', ')}`, { field });
    }
  }
}

export interface ApiKeyRouteOptions {
  /** Live keys one account may hold (settings.apiKeysPerAccount). */
  readonly maxLiveKeys: number;
}

export function apiKeyRoutes(
  store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, options: ApiKeyRouteOptions,
): Router {
  const router = new Router({ prefix: '/v1/api-keys' });

  async function identifyManager(ctx: Context, next: Next) {
    const header = ctx.get('authorization');
    const session = header ? undefined : await sessions.current(ctx);
    if (session) {
      const csrf = ctx.get('x-csrf-token');
      if (!SAFE_METHODS.has(ctx.method) && !sameToken(csrf, session.csrf)) {
        throw new LatchkeyError('csrf_failed', 'send the session\'s CSRF token in the X-CSRF-Token header');
      }
      ctx.state.manager = {
        accountId: session.accountId, environments: ['test', 'live'], actor: `user:${session.userId}`, scopes: MANAGE_ALL,
        principal: undefined, grantExpiresAt: undefined,
      } satisfies Manager;
    } else {
      const principal = await guard.principalOfRequest(ctx);
      // An app the user disconnected keeps a valid JWT for minutes: it manages nothing from then on.
      const { credential } = principal;
      const grantExpiresAt = credential.kind === 'access_token' && credential.grantId ? await liveGrantExpiry(store, credential.grantId) : undefined;
      ctx.state.manager = {
        accountId: principal.accountId, environments: [principal.environment], actor: actorOf(principal), scopes: principal.scopes,
        principal, grantExpiresAt,
      } satisfies Manager;
    }
    await next();
  }

  const may = (scope: 'read:api_keys' | 'write:api_keys') => async function managerMay(ctx: Context, next: Next) {
    if (!(ctx.state.manager as Manager).scopes.has(scope)) throw insufficientScope(scope, issuer);
    await next();
  };

  /** What keys this manager creates or rolls may hold: read when needed (it may cost a store read). */
  function limitsOf(manager: Manager): Promise<KeyLimits> {
    return manager.principal ? keyLimitsOf(store, manager.principal, manager.grantExpiresAt) : Promise.resolve(NO_LIMITS);
  }

  /** The key named in the path, if this manager may see it (else not_found: no hint it exists). */
  async function ownKey(ctx: Context, id: string): Promise<ApiKeyRecord> {
    const manager = ctx.state.manager as Manager;
    const key = await getKey(store, manager.accountId, id);
    if (!manager.environments.includes(key.environment)) throw new LatchkeyError('not_found', `no API key "${key.id}"`);
    return key;
  }

  router.use(noStore, identifyManager);

  // A credential sees its own environment only (filtered by the store, so a cursor never names a key of another).
  router.get('/', may('read:api_keys'), async (ctx) => {
    const manager = ctx.state.manager as Manager;
    const { limit, startingAfter } = pageRequest(ctx);
    const environment = manager.environments.length === 1 ? manager.environments[0] : undefined;
    const fetched = await store.listApiKeys(manager.accountId, { limit: limit + 1, after: startingAfter, environment });
    ctx.body = listBody(fetched, limit, presentKey);
  });

  router.post('/', may('write:api_keys'), async (ctx) => {
    const manager = ctx.state.manager as Manager;
    const body = await readJson(ctx);
    onlyFields(body, ['name', 'scopes', 'environment', 'expires_at']);
    const environment = optionalString(body, 'environment') ?? (manager.environments.length === 1 ? manager.environments[0]! : undefined);
    if (!environment) throw new LatchkeyError('validation_failed', 'environment is required: test or live', { field: 'environment' });
    if (!manager.environments.includes(environment as Environment) && (environment === 'test' || environment === 'live')) {
      throw new LatchkeyError('forbidden', `a ${manager.environments.join('/')} credential cannot create ${environment} keys`, { field: 'environment' });
    }
    const scopes = body.scopes;
    if (!(typeof scopes === 'string' || (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string')))) {
      throw new LatchkeyError('validation_failed', 'scopes must be an array of scope names', { field: 'scopes' });
    }
    const created = await createKey(store, pepper, {
      accountId: manager.accountId, environment, scopes, name: optionalString(body, 'name'),
      expiresAt: optionalString(body, 'expires_at'), actor: manager.actor, limits: await limitsOf(manager),
      maxLiveKeys: options.maxLiveKeys,
    });
    ctx.status = 201;
    ctx.body = { ...presentKey(created.record), key: created.key };
  });

  router.get('/:id', may('read:api_keys'), async (ctx) => {
    ctx.body = presentKey(await ownKey(ctx, ctx.params.id!));
  });

  router.post('/:id/roll', may('write:api_keys'), async (ctx) => {
    const body = await optionalJson(ctx);
    onlyFields(body, ['overlap']);
    const overlap = body.overlap;
    if (overlap !== undefined && typeof overlap !== 'string' && typeof overlap !== 'number') {
      throw new LatchkeyError('validation_failed', 'overlap must be a duration such as "24h" or a number of seconds', { field: 'overlap' });
    }
    const manager = ctx.state.manager as Manager;
    const rolled = await rollKey(store, pepper, await ownKey(ctx, ctx.params.id!), parseOverlap(overlap), manager.actor, {
      limits: await limitsOf(manager), maxLiveKeys: options.maxLiveKeys,
    });
    ctx.status = 201;
    ctx.body = { ...presentKey(rolled.record), key: rolled.key, previous: presentKey(rolled.previous) };
  });

  router.post('/:id/revoke', may('write:api_keys'), async (ctx) => {
    const body = await optionalJson(ctx);
    onlyFields(body, ['reason']);
    const key = await ownKey(ctx, ctx.params.id!);
    ctx.body = presentKey(await revokeKey(store, key, optionalString(body, 'reason') ?? 'revoked by the account', (ctx.state.manager as Manager).actor));
  });

  router.get('/:id/events', may('read:api_keys'), async (ctx) => {
    const key = await ownKey(ctx, ctx.params.id!);
    const { limit, startingAfter } = pageRequest(ctx);
    const fetched = await store.listTargetEvents(key.accountId, key.id, { limit: limit + 1, before: startingAfter });
    ctx.body = listBody(fetched, limit, (e) => ({
      id: e.id, object: 'audit_event', action: e.action, actor: e.actor, reason: e.reason ?? null, at: e.at.toISOString(),
    }));
  });

  return router;
}
