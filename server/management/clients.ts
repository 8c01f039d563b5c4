// Management of OAuth clients at /v1/clients (JSON), beside /v1/api-keys (their logos are served by
// server/clients/logo-routes.ts). Who may call it is access.ts's answer: a signed-in portal user of
// the account (both environments), or a credential of the account holding read:clients /
// write:clients (its own environment only). A credential never grants more than it holds: the
// scopes it gives a client are at most its own.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { ClientRecord, Store } from '../../adapters/contract.ts';
import { LatchkeyError, ValidationError } from '../../config/errors.ts';
import { allow, authorize, clientTarget, reaches } from '../authority/authorize.ts';
import { identifyManager, managerOf } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import type { Guard } from '../guard/authenticate.ts';
import { readBody, readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import type { Pepper } from '../secrets.ts';
import { environmentToCreate, invalid, onlyFields, optionalJson, optionalString } from './access.ts';
import { checkResourceServerChanges } from '../clients/input.ts';
import { fetchLogo, readLogo } from '../clients/logo.ts';
import {
  createClient, deleteClient, getClient, parseClientOverlap, presentClient, revokeClientSecret, rotateClientSecret, updateClient,
} from '../clients/service.ts';
import { LIMITS } from '../../config/limits.ts';

/** The service's ValidationError (shared with the portal's forms) in our documented body. */
async function validationErrorsAsJson(_ctx: Context, next: Next) {
  try {
    await next();
  } catch (err) {
    if (err instanceof ValidationError) throw invalid(err.field, err.message);
    throw err;
  }
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

/** A raw image body (PUT /v1/clients/:id/logo), read up to the logo size limit. */
async function readImageBody(ctx: Context): Promise<Uint8Array> {
  const tooLarge = () => invalid('logo', `the logo must be at most ${LIMITS.logoMaxBytes / 1024} KiB`);
  return readBody(ctx, LIMITS.logoMaxBytes, tooLarge);
}

export function clientRoutes(
  store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, options: { production: boolean; maxClients: number },
): Router {
  const router = new Router({ prefix: '/v1/clients' });
  // Logo URLs on loopback or private addresses (a local test server) are allowed outside production.
  const { production } = options;

  const may = (verb: Verb) => allow({ resource: 'clients', verb }, issuer);

  /**
   * The client named in the path, if this manager may act on it (another account's or environment's:
   * not_found). Any action on a client acts with every scope it holds.
   */
  async function ownClient(ctx: Context, id: string, verb: Verb): Promise<ClientRecord> {
    const manager = managerOf(ctx);
    const client = await getClient(store, manager.accountId ?? '', id);
    if (!manager.environments.includes(client.environment)) throw new LatchkeyError('not_found', `no client ${client.id}`);
    authorize(manager, { resource: 'clients', verb }, issuer, clientTarget(client));
    return client;
  }

  const present = (client: ClientRecord) => presentClient(client, issuer);

  router.use(noStore, validationErrorsAsJson, identifyManager(store, guard, sessions));

  router.get('/', may('read'), async (ctx) => {
    const manager = managerOf(ctx);
    const { limit, startingAfter } = pageRequest(ctx);
    // Only the clients the caller reaches (its environment; for a credential, clients within its scopes).
    const visible = (await store.listClients(manager.accountId ?? ''))
      .filter((c) => reaches(manager, { resource: 'clients', verb: 'read' }, clientTarget(c)));
    const start = startingAfter === undefined ? 0 : visible.findIndex((c) => c.id === startingAfter) + 1;
    if (startingAfter !== undefined && start === 0) throw invalid('starting_after', 'starting_after must be an id from the previous page');
    ctx.body = listBody(visible.slice(start, start + limit + 1), limit, present);
  });

  router.post('/', may('write'), async (ctx) => {
    const manager = managerOf(ctx);
    const body = await readJson(ctx);
    onlyFields(body, ['name', 'type', 'scopes', 'redirect_uris', 'homepage_url', 'logo_url', 'environment']);
    const environment = environmentToCreate(manager, optionalString(body, 'environment'), 'clients');
    const logoUrl = optionalString(body, 'logo_url');
    const created = await createClient(store, pepper, {
      accountId: manager.accountId ?? '', name: optionalString(body, 'name') ?? '', type: optionalString(body, 'type') ?? '',
      scopes: scopesOf(body, true)!, redirectUris: redirectUrisOf(body), homepageUrl: optionalString(body, 'homepage_url'),
      environment, actor: manager.name, maxScopes: manager.principal?.scopes, maxClients: options.maxClients,
      // Fetched once, here; the stored copy is what users ever see.
      logo: logoUrl ? await fetchLogo(logoUrl, production) : undefined,
    });
    ctx.status = 201;
    ctx.body = { ...present(created.record), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
  });

  router.get('/:id', may('read'), async (ctx) => {
    ctx.body = present(await ownClient(ctx, ctx.params.id!, 'read'));
  });

  router.patch('/:id', may('write'), async (ctx) => {
    const manager = managerOf(ctx);
    const client = await ownClient(ctx, ctx.params.id!, 'write');
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
    }, manager.name, manager.principal?.scopes));
  });

  router.put('/:id/logo', may('write'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    const logo = readLogo(await readImageBody(ctx), ctx.get('content-type'));
    ctx.body = present(await updateClient(store, client, { logo }, managerOf(ctx).name));
  });

  router.delete('/:id/logo', may('write'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    ctx.body = present(await updateClient(store, client, { logo: null }, managerOf(ctx).name));
  });

  router.post('/:id/rotate-secret', may('write'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    const body = await optionalJson(ctx);
    onlyFields(body, ['overlap', 'leaked']);
    const { overlap, leaked } = body;
    if (overlap !== undefined && typeof overlap !== 'string' && typeof overlap !== 'number') {
      throw invalid('overlap', 'overlap must be a duration such as 24h or a number of seconds');
    }
    if (leaked !== undefined && typeof leaked !== 'boolean') throw invalid('leaked', 'leaked must be true or false');
    const rotated = await rotateClientSecret(store, pepper, client, parseClientOverlap(overlap === undefined ? undefined : String(overlap)),
      managerOf(ctx).name, { leaked: leaked === true });
    ctx.status = 201;
    ctx.body = { ...present(rotated.record), client_secret: rotated.clientSecret };
  });

  // The owner retires one live secret (say the old one, once nothing uses it): it stops at once.
  router.post('/:id/secrets/:secretId/revoke', may('write'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    ctx.body = present(await revokeClientSecret(store, client, ctx.params.secretId!, managerOf(ctx).name));
  });

  router.delete('/:id', may('write'), async (ctx) => {
    await deleteClient(store, await ownClient(ctx, ctx.params.id!, 'write'), managerOf(ctx).name);
    ctx.status = 204;
  });

  return router;
}
