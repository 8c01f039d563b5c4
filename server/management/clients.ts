// Management of OAuth clients at /v1/clients (JSON), beside /v1/api-keys (their logos are served by
// server/clients/logo-routes.ts). Who may call it is access.ts's answer: a signed-in portal user of
// the account (both environments), or a credential of the account holding read:clients /
// write:clients (its own environment only). A credential never grants more than it holds: the
// scopes it gives a client are at most its own.
import Router from '@koa/router';
import { creatorName } from '../../adapters/cascades.ts';
import { z } from 'zod';
import type { Context } from 'koa';
import type { ClientRecord, Store } from '../../adapters/contract.ts';
import { allow, authorize, clientTarget, reaches } from '../authority/authorize.ts';
import { requireFreshSignIn } from '../authority/step-up.ts';
import { identifyManager, managerOf } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import type { Guard } from '../guard/authenticate.ts';
import { readBody, readJson } from '../http/json.ts';
import { listOf, type Operation } from '../http/operations.ts';
import { optionalText, parseBody } from '../http/schema.ts';
import { CLIENT, CLIENT_DETAIL, CLIENT_WITH_SECRET } from './objects.ts';
import { noStore } from '../http/middleware.ts';
import { listBody, pageRequest } from '../http/pagination.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import type { Pepper } from '../secrets.ts';
import { creationsOf, environmentToCreate, idempotentManagement, invalid, optionalJson, validationErrorsAsJson } from './access.ts';
import { checkResourceServerChanges } from '../clients/input.ts';
import { fetchLogo, readLogo } from '../clients/logo.ts';
import {
  clientNotFound, createClient, deleteClient, getClient, parseClientOverlap, presentClient, updateClient,
} from '../clients/service.ts';
import { revokeClientSecret, rotateClientSecret } from '../clients/secrets.ts';
import { LIMITS } from '../../config/limits.ts';


// The request shapes of these routes, in the order their fields are checked.
/** Scopes as an array of names or one space-separated string. */
const SCOPES = z.union([z.string(), z.array(z.string()).transform((names) => names.join(' '))], { error: 'scopes must be an array of scope names' });
const urls = (field: string) => z.array(z.string({ error: `${field} must be an array of URLs` }), { error: `${field} must be an array of URLs` });
const REDIRECT_URIS = urls('redirect_uris');
const POST_LOGOUT_REDIRECT_URIS = urls('post_logout_redirect_uris');
/** A string, or null to remove the value. */
const removable = (field: string) => z.string({ error: `${field} must be a string` }).nullable().optional();

const CREATE_CLIENT = z.strictObject({
  environment: optionalText('environment'),
  logo_url: optionalText('logo_url'),
  name: optionalText('name'),
  type: optionalText('type'),
  scopes: SCOPES,
  redirect_uris: REDIRECT_URIS.optional(),
  post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS.optional(),
  homepage_url: optionalText('homepage_url'),
});
const EDIT_CLIENT = z.strictObject({
  logo_url: removable('logo_url'),
  name: optionalText('name'),
  scopes: SCOPES.optional(),
  redirect_uris: REDIRECT_URIS.optional(),
  post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS.optional(),
  homepage_url: removable('homepage_url'),
});
const ROTATE_SECRET = z.strictObject({
  overlap: z.union([z.string(), z.number()], { error: 'overlap must be a duration such as 24h or a number of seconds' }).optional(),
  leaked: z.boolean({ error: 'leaked must be true or false' }).optional(),
});

/** These routes, for the API description (/openapi.json). */
export const CLIENT_OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/v1/clients', tag: 'Clients', summary: 'List OAuth clients', scope: 'read:clients', callers: 'either', paginated: true, status: 200, response: listOf(CLIENT) },
  {
    method: 'post', path: '/v1/clients', tag: 'Clients', summary: 'Register an OAuth client', scope: 'write:clients', callers: 'either',
    description: 'A confidential client\'s secret is in the answer this once. `type` is one of web, spa, native, device, service.',
    body: CREATE_CLIENT, status: 201, response: CLIENT_WITH_SECRET, errors: ['validation_failed', 'forbidden', 'limit_reached', 'email_unverified'],
    example: { environment: 'test', name: 'Nightly sync', type: 'service', scopes: ['read:contacts'] },
  },
  { method: 'get', path: '/v1/clients/{id}', tag: 'Clients', summary: 'Get an OAuth client', scope: 'read:clients', callers: 'either', status: 200, response: CLIENT_DETAIL, errors: ['not_found'] },
  {
    method: 'patch', path: '/v1/clients/{id}', tag: 'Clients', summary: 'Change an OAuth client', scope: 'write:clients', callers: 'either',
    body: EDIT_CLIENT, status: 200, response: CLIENT, errors: ['not_found', 'validation_failed', 'forbidden'], example: { name: 'Nightly sync (EU)' },
  },
  {
    method: 'put', path: '/v1/clients/{id}/logo', tag: 'Clients', summary: 'Upload a client\'s logo', scope: 'write:clients', callers: 'either',
    description: 'The body is the image itself, with its Content-Type.', upload: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'], status: 200, response: CLIENT, errors: ['not_found', 'validation_failed', 'unsupported_media_type'],
  },
  { method: 'delete', path: '/v1/clients/{id}/logo', tag: 'Clients', summary: 'Remove a client\'s logo', scope: 'write:clients', callers: 'either', status: 200, response: CLIENT, errors: ['not_found'] },
  {
    method: 'post', path: '/v1/clients/{id}/rotate-secret', tag: 'Clients', summary: 'Rotate a client\'s secret', scope: 'write:clients', callers: 'either',
    description: 'The new secret is in the answer this once; the old one keeps working for the overlap. `leaked: true` ends it at once.',
    body: ROTATE_SECRET, bodyOptional: true, status: 201, response: CLIENT_WITH_SECRET, errors: ['not_found', 'validation_failed', 'conflict', 'step_up_required'],
    example: { overlap: '1h' },
  },
  {
    method: 'post', path: '/v1/clients/{id}/secrets/{secretId}/revoke', tag: 'Clients', summary: 'Revoke one of a client\'s secrets', scope: 'write:clients', callers: 'either',
    status: 200, response: CLIENT, errors: ['not_found', 'conflict'],
  },
  {
    method: 'delete', path: '/v1/clients/{id}', tag: 'Clients', summary: 'Delete an OAuth client', scope: 'write:clients', callers: 'either',
    description: 'Its grants and tokens end with it. A portal session must be recent (step-up).', status: 204, errors: ['not_found', 'step_up_required'],
  },
];

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
    authorize(manager, { resource: 'clients', verb }, issuer, clientTarget(client), () => clientNotFound(id));
    return client;
  }

  const present = (client: ClientRecord) => presentClient(client, issuer);

  router.use(noStore, validationErrorsAsJson, identifyManager(store, guard, sessions), idempotentManagement(store, sessions));

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
    const body = parseBody(CREATE_CLIENT, await readJson(ctx));
    const environment = environmentToCreate(manager, body.environment, 'clients', issuer);
    const logoUrl = body.logo_url;
    const created = await createClient(store, pepper, {
      accountId: manager.accountId ?? '', name: body.name ?? '', type: body.type ?? '',
      scopes: body.scopes, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris, homepageUrl: body.homepage_url,
      environment, actor: manager.name, maxScopes: manager.principal?.scopes, maxClients: options.maxClients,
      // Fetched once, here; the stored copy is what users ever see.
      logo: logoUrl ? await fetchLogo(logoUrl, production) : undefined,
    });
    ctx.status = 201;
    ctx.body = { ...present(created.record), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
  });

  router.get('/:id', may('read'), async (ctx) => {
    const client = await ownClient(ctx, ctx.params.id!, 'read');
    // Its creator is created_by; what it created is revoked or disabled with it (docs/clients.md).
    ctx.body = { ...present(client), created: await creationsOf(store, client.accountId, creatorName('client', client.id)) };
  });

  router.patch('/:id', may('write'), async (ctx) => {
    const manager = managerOf(ctx);
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    const body = parseBody(EDIT_CLIENT, await readJson(ctx));
    // Before any logo is fetched: a resource server has a name and secrets only.
    if (client.type === 'resource_server') {
      checkResourceServerChanges({ scopes: body.scopes, redirectUris: body.redirect_uris, homepageUrl: body.homepage_url, logo: body.logo_url });
    }
    const logoUrl = body.logo_url;
    const logo = logoUrl === null ? null : logoUrl ? await fetchLogo(logoUrl, production) : undefined;
    ctx.body = present(await updateClient(store, client, {
      name: body.name, scopes: body.scopes, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris,
      homepageUrl: body.homepage_url === null ? '' : body.homepage_url, logo,
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
    if (client.environment === 'live') requireFreshSignIn(managerOf(ctx), 'live_secret.rotate');
    const { overlap, leaked } = parseBody(ROTATE_SECRET, await optionalJson(ctx));
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
    const client = await ownClient(ctx, ctx.params.id!, 'write');
    requireFreshSignIn(managerOf(ctx), 'app.delete');
    await deleteClient(store, client, managerOf(ctx).name);
    ctx.status = 204;
  });

  return router;
}
