// What the management routers (/v1/api-keys, /v1/clients, /v1/webhooks) share beyond the authority module (who
// may act is server/authority/'s answer): the environment a create goes to, a page of what the
// caller reaches, and reading an optional body (request shapes are zod schemas beside each route,
// checked by server/http/schema.ts).
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError, ValidationError } from '../../config/errors.ts';
import { authorizeCreation } from '../authority/authorize.ts';
import type { Manager } from '../authority/identify.ts';
import { readJson } from '../http/json.ts';
import { idempotentPosts } from '../http/idempotency.ts';
import type { PortalSessions } from '../accounts/sessions.ts';

/**
 * The environment a create names, or the manager's only one; refused outside the manager's, and
 * asked of the authority module as the new object's target (an unconfirmed user creates nothing live).
 */
export function environmentToCreate(manager: Manager, named: string | undefined, resource: 'api_keys' | 'clients' | 'webhooks', issuer: string): string {
  const what = { api_keys: 'keys', clients: 'clients', webhooks: 'webhooks' }[resource];
  const environment = named ?? (manager.environments.length === 1 ? manager.environments[0] : undefined);
  if (!environment) throw invalid('environment', 'environment is required: test or live');
  if (environment !== 'test' && environment !== 'live') return environment; // the service names what is allowed
  if (!manager.environments.includes(environment)) {
    throw new LatchkeyError('forbidden', `a ${manager.environments.join('/')} credential cannot create ${environment} ${what}`, { field: 'environment' });
  }
  authorizeCreation(manager, resource, environment, issuer);
  return environment;
}

/** What a credential created (its lineage's first step): the keys and clients that die or are disabled with it. */
export async function creationsOf(store: Store, accountId: string, creator: string): Promise<{ api_keys: string[]; clients: string[] }> {
  const [keys, clients] = await Promise.all([store.listApiKeys(accountId), store.listClients(accountId)]);
  return {
    api_keys: keys.filter((key) => key.createdBy === creator).map((key) => key.id),
    clients: clients.filter((client) => client.createdBy === creator).map((client) => client.id),
  };
}

export function invalid(field: string, message: string): LatchkeyError {
  return new LatchkeyError('validation_failed', message, { field });
}

/** A JSON body when one was sent (roll, revoke and rotate take an optional body), else {}. */
export async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}


/** The service's ValidationError (shared with the portal's forms) in our documented body. */
export async function validationErrorsAsJson(_ctx: Context, next: Next) {
  try {
    await next();
  } catch (err) {
    if (err instanceof ValidationError) throw invalid(err.field, err.message);
    throw err;
  }
}

/**
 * Idempotency-Key on every POST of a management router (http/idempotency.ts), after the manager is
 * known: keyed by who acts, sealed under the credential presented (a bearer token, or the session cookie).
 */
export function idempotentManagement(store: Store, sessions: PortalSessions) {
  return idempotentPosts({
    store,
    actorOf: (ctx) => {
      const manager = ctx.state.manager as Manager | undefined;
      const secret = ctx.get('authorization') || sessions.cookieValue(ctx);
      return manager && secret ? { name: manager.name, secret } : undefined;
    },
  });
}
