// Management of OAuth clients at /v1/clients (JSON), beside /v1/api-keys, and their logos at
// /logos/<client id>, served from our own origin. Authorised by a signed-in portal user of the
// account (session cookie + X-CSRF-Token on changes; both environments), or by a credential of the
// account holding read:clients / write:clients (its own environment only). A credential never
// grants more than it holds: the scopes it gives a client are at most its own.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { ClientRecord, Environment, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { ValidationError } from '../accounts/service.ts';
import { liveGrantExpiry } from '../api-keys/limits.ts';
import { insufficientScope, type Guard } from '../guard/authenticate.ts';
import { actorOf } from '../guard/principal.ts';
import { readBody, readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import { sameToken, type PortalSessions } from '../portal/sessions.ts';
import type { Pepper } from '../secrets.ts';
import { checkResourceServerChanges } from './input.ts';
import { fetchLogo, readLogo } from './logo.ts';
import {
  createClient, deleteClient, getClient, parseClientOverlap, presentClient, rotateClientSecret, updateClient,
} from './service.ts';
import { LIMITS } from '../../config/limits.ts';

/** Who manages clients in this request, and where. */
interface ClientManager {
  readonly accountId: string;
  readonly environments: readonly Environment[];
  readonly actor: string;
  readonly scopes: ReadonlySet<string>;
  /** A credential's scopes: the most it may give a client. None for a signed-in user. */
  readonly maxScopes: ReadonlySet<string> | undefined;
}

const MANAGE_ALL = new Set(['read:clients', 'write:clients']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

const invalid = (field: string, message: string) => new LatchkeyError('validation_failed', message, { field });

/** The service's ValidationError (shared with the portal's forms) in our documented body. */
async function validationErrorsAsJson(_ctx: Context, next: Next) {
  try {
    await next();
  } catch (err) {
    if (err instanceof ValidationError) throw invalid(err.field, err.message);
    throw err;
  }
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) throw invalid(field, `${field}: unknown field; allowed: ${allowed.join(', ')}`);
  }
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
  return value;
}

/** Scopes as an array of names or one space-separated string. */
function scopesOf(body: Record<string, unknown>, required: boolean): string | undefined {
  const value = body.scopes;
  if (value === undefined && !required) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value.join(' ');
  throw invalid('scopes', 'scopes must be an array of scope names');
}

function redirectUrisOf(body: Record<string, unknown>): string[] | undefined {
  const value = body.redirect_uris;
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
  throw invalid('redirect_uris', 'redirect_uris must be an array of URLs');
}

async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}

/** A raw image body (PUT /v1/clients/:id/logo), read up to the logo size limit. */
async function readImageBody(ctx: Context): Promise<Uint8Array> {
  const tooLarge = () => invalid('logo', `the logo must be at most ${LIMITS.logoMaxBytes / 1024} KiB`);
  return readBody(ctx, LIMITS.logoMaxBytes, tooLarge);
}

export function clientRoutes(
  store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, options: { production: boolean },
): Router {
  const router = new Router({ prefix: '/v1/clients' });
  // Logo URLs on loopback or private addresses (a local test server) are allowed outside production.
  const { production } = options;

  async function identifyManager(ctx: Context, next: Next) {
    const session = ctx.get('authorization') ? undefined : await sessions.current(ctx);
    if (session) {
      if (!SAFE_METHODS.has(ctx.method) && !sameToken(ctx.get('x-csrf-token'), session.csrf)) {
        throw new LatchkeyError('csrf_failed', 'send the session\'s CSRF token in the X-CSRF-Token header');
      }
      ctx.state.manager = {
        accountId: session.accountId, environments: ['test', 'live'], actor: `user:${session.userId}`, scopes: MANAGE_ALL, maxScopes: undefined,
      } satisfies ClientManager;
    } else {
      const principal = await guard.principalOfRequest(ctx);
      // An app the user disconnected keeps a valid JWT for minutes: it manages nothing from then on.
      if (principal.credential.kind === 'access_token' && principal.credential.grantId) await liveGrantExpiry(store, principal.credential.grantId);
      ctx.state.manager = {
        accountId: principal.accountId, environments: [principal.environment], actor: actorOf(principal),
        scopes: principal.scopes, maxScopes: principal.scopes,
      } satisfies ClientManager;
    }
    await next();
  }

  const may = (scope: 'read:clients' | 'write:clients') => async function managerMay(ctx: Context, next: Next) {
    if (!(ctx.state.manager as ClientManager).scopes.has(scope)) throw insufficientScope(scope, issuer);
    await next();
  };

  /** The client named in the path, if this manager may see it (else not_found: no hint it exists). */
  async function ownClient(ctx: Context, id: string): Promise<ClientRecord> {
    const manager = ctx.state.manager as ClientManager;
    const client = await getClient(store, manager.accountId, id);
    if (!manager.environments.includes(client.environment)) throw new LatchkeyError('not_found', `no client ${client.id}`);
    return client;
  }

  const present = (client: ClientRecord) => presentClient(client, issuer);

  router.use(noStore, validationErrorsAsJson, identifyManager);

  router.get('/', may('read:clients'), async (ctx) => {
    const manager = ctx.state.manager as ClientManager;
    const { limit, startingAfter } = pageRequest(ctx);
    const visible = (await store.listClients(manager.accountId)).filter((c) => manager.environments.includes(c.environment));
    const start = startingAfter === undefined ? 0 : visible.findIndex((c) => c.id === startingAfter) + 1;
    if (startingAfter !== undefined && start === 0) throw invalid('starting_after', 'starting_after must be an id from the previous page');
    ctx.body = listBody(visible.slice(start, start + limit + 1), limit, present);
  });

  router.post('/', may('write:clients'), async (ctx) => {
    const manager = ctx.state.manager as ClientManager;
    const body = await readJson(ctx);
    onlyFields(body, ['name', 'type', 'scopes', 'redirect_uris', 'homepage_url', 'logo_url', 'environment']);
    const environment = optionalString(body, 'environment') ?? (manager.environments.length === 1 ? manager.environments[0] : undefined);
    if (!environment) throw invalid('environment', 'environment is required: test or live');
    if (!manager.environments.includes(environment as Environment) && (environment === 'test' || environment === 'live')) {
      throw new LatchkeyError('forbidden', `a ${manager.environments.join('/')} credential cannot create ${environment} clients`, { field: 'environment' });
    }
    const logoUrl = optionalString(body, 'logo_url');
    const created = await createClient(store, pepper, {
      accountId: manager.accountId, name: optionalString(body, 'name') ?? '', type: optionalString(body, 'type') ?? '',
      scopes: scopesOf(body, true)!, redirectUris: redirectUrisOf(body), homepageUrl: optionalString(body, 'homepage_url'),
      environment, actor: manager.actor, maxScopes: manager.maxScopes,
      // Fetched once, here; the stored copy is what users ever see.
      logo: logoUrl ? await fetchLogo(logoUrl, production) : undefined,
    });
    ctx.status = 201;
    ctx.body = { ...present(created.record), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
  });

  router.get('/:id', may('read:clients'), async (ctx) => {
    ctx.body = present(await ownClient(ctx, ctx.params.id!));
  });

  router.patch('/:id', may('write:clients'), async (ctx) => {
    const manager = ctx.state.manager as ClientManager;
    const client = await ownClient(ctx, ctx.params.id!);
    const body = await readJson(ctx);
    onlyFields(body, ['name', 'scopes', 'redirect_uris', 'homepage_url', 'logo_url']);
    // Before any logo is fetched: a resource server has a name and secrets only.
    if (client.type === 'resource_server') {
      checkResourceServerChanges({ scopes: body.scopes, redirectUris: body.redirect_uris, homepageUrl: body.homepage_url, logo: body.logo_url });
    }
    if (body.homepage_url === null) body.homepage_url = '';
    const logoUrl = body.logo_url === null ? null : optionalString(body, 'logo_url');
    const logo = logoUrl === null ? null : logoUrl ? await fetchLogo(logoUrl, production) : undefined;
    ctx.body = present(await updateClient(store, client, {
      name: optionalString(body, 'name'), scopes: scopesOf(body, false), redirectUris: redirectUrisOf(body),
      homepageUrl: optionalString(body, 'homepage_url'), logo,
    }, manager.actor, manager.maxScopes));
  });

  router.put('/:id/logo', may('write:clients'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!);
    const logo = readLogo(await readImageBody(ctx), ctx.get('content-type'));
    ctx.body = present(await updateClient(store, client, { logo }, (ctx.state.manager as ClientManager).actor));
  });

  router.delete('/:id/logo', may('write:clients'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!);
    ctx.body = present(await updateClient(store, client, { logo: null }, (ctx.state.manager as ClientManager).actor));
  });

  router.post('/:id/rotate-secret', may('write:clients'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!);
    const body = await optionalJson(ctx);
    onlyFields(body, ['overlap', 'leaked']);
    const { overlap, leaked } = body;
    if (overlap !== undefined && typeof overlap !== 'string' && typeof overlap !== 'number') {
      throw invalid('overlap', 'overlap must be a duration such as 24h or a number of seconds');
    }
    if (leaked !== undefined && typeof leaked !== 'boolean') throw invalid('leaked', 'leaked must be true or false');
    const rotated = await rotateClientSecret(store, pepper, client, parseClientOverlap(overlap === undefined ? undefined : String(overlap)),
      (ctx.state.manager as ClientManager).actor, { leaked: leaked === true });
    ctx.status = 201;
    ctx.body = { ...present(rotated.record), client_secret: rotated.clientSecret };
  });

  router.delete('/:id', may('write:clients'), async (ctx) => {
    await deleteClient(store, await ownClient(ctx, ctx.params.id!), (ctx.state.manager as ClientManager).actor);
    ctx.status = 204;
  });

  return router;
}

export function logoRoutes(store: Store): Router {
  const router = new Router({ prefix: '/logos' });

  router.get('/:clientId', async function serveLogo(ctx) {
    const client = await store.findClient(ctx.params.clientId!);
    const logo = client?.logoDigest ? await store.findClientLogo(client.id) : undefined;
    if (!client || !logo) throw new LatchkeyError('not_found', 'this client has no logo');
    const etag = `"${client.logoDigest}"`;
    // A URL with the current digest never changes; without it, revalidate soon.
    const versioned = ctx.query.v === client.logoDigest;
    ctx.set('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    ctx.set('ETag', etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'");
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = logo.contentType;
    ctx.body = Buffer.from(logo.bytes);
  });

  return router;
}
