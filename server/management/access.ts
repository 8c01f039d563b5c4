// Who is calling the management API (/v1/api-keys, /v1/clients), for which account and environments,
// with which scopes: one answer for every management router. Either a signed-in portal user of the
// account (session cookie, X-CSRF-Token on changes; both environments; every management scope of
// the router), or a credential of the account (its own environment, its own scopes; what it creates
// is limited to what it holds). Also the small body readers these routers share.
import type { Context, Next } from 'koa';
import type { Environment, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { sameToken, type PortalSessions } from '../accounts/sessions.ts';
import { liveGrantExpiry } from '../api-keys/limits.ts';
import { insufficientScope, type Guard } from '../guard/authenticate.ts';
import { readJson } from '../http/json.ts';
import { actorOf, type Principal } from '../http/principal.ts';

/** Who manages in this request, and where (ctx.state.manager). */
export interface Manager {
  readonly accountId: string;
  readonly environments: readonly Environment[];
  readonly actor: string;
  readonly scopes: ReadonlySet<string>;
  /** The credential, when not a signed-in user: what it may create is limited to what it holds. */
  readonly principal: Principal | undefined;
  /** For a user-delegated token: its grant's expiry, read (and found alive) for this request. */
  readonly grantExpiresAt: Date | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function managerOf(ctx: Context): Manager {
  return ctx.state.manager as Manager;
}

/**
 * Sets ctx.state.manager from the session or the Authorization header. `sessionScopes`: what a
 * signed-in user of the account may do on this router (everything it manages).
 */
export function identifyManager(store: Store, guard: Guard, sessions: PortalSessions, sessionScopes: ReadonlySet<string>) {
  return async function identifyManagerOfRequest(ctx: Context, next: Next) {
    const session = ctx.get('authorization') ? undefined : await sessions.current(ctx);
    if (session) {
      if (!SAFE_METHODS.has(ctx.method) && !sameToken(ctx.get('x-csrf-token'), session.csrf)) {
        throw new LatchkeyError('csrf_failed', 'send the session\'s CSRF token in the X-CSRF-Token header');
      }
      ctx.state.manager = {
        accountId: session.accountId, environments: ['test', 'live'], actor: `user:${session.userId}`, scopes: sessionScopes,
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
  };
}

/** 403 insufficient_scope unless the manager holds `scope`. */
export function managerMay(scope: string, issuer: string) {
  return async function managerHoldsScope(ctx: Context, next: Next) {
    if (!managerOf(ctx).scopes.has(scope)) throw insufficientScope(scope, issuer);
    await next();
  };
}

/** The environment a create names, or the manager's only one; refused outside the manager's. */
export function environmentToCreate(manager: Manager, named: string | undefined, what: string): string {
  const environment = named ?? (manager.environments.length === 1 ? manager.environments[0] : undefined);
  if (!environment) throw invalid('environment', 'environment is required: test or live');
  if (!manager.environments.includes(environment as Environment) && (environment === 'test' || environment === 'live')) {
    throw new LatchkeyError('forbidden', `a ${manager.environments.join('/')} credential cannot create ${environment} ${what}`, { field: 'environment' });
  }
  return environment;
}

export function invalid(field: string, message: string): LatchkeyError {
  return new LatchkeyError('validation_failed', message, { field });
}

/** A JSON body when one was sent (roll, revoke and rotate take an optional body), else {}. */
export async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
  return value;
}

export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) throw invalid(field, `${field}: unknown field; allowed: ${allowed.join(', ')}`);
  }
}
