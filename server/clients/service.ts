// The OAuth client lifecycle: `service` clients use client credentials, `web` apps the authorization
// code flow with refresh. Register, edit, delete (a secret's rotation and retirement are in
// secrets.ts). Secrets are generated here, returned once, and stored only as HMACs. Every change is
// an audit event; every edit is conditional on the revision read, and a retry after a conflict
// re-applies only its own changes.
import type { AccountStore, ApiKeyStore, AuditEvent, ClientLogo, ClientRecord, ClientStore } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';
import { ValidationError } from '../../config/errors.ts';
import { generateId, generateSortableId, type Pepper } from '../secrets.ts';
import {
  checkEnvironment, checkHomepage, checkName, checkPostLogoutRedirectUris, checkRedirectUris, checkResourceServerChanges, checkScopes, checkType,
} from './input.ts';
import { isLive, newSecret, prune } from './secret-rotation.ts';

export { checkRedirectUri, parseClientOverlap } from './input.ts';

type Store = ClientStore & AccountStore & Pick<ApiKeyStore, 'recordAuditEvent'>;

export interface CreateClientInput {
  accountId: string;
  name: string;
  type: string;
  scopes: string;
  redirectUris?: readonly string[];
  postLogoutRedirectUris?: readonly string[] | undefined;
  environment?: string;
  /** A web app's homepage, shown on the consent page. */
  homepageUrl?: string | undefined;
  /** An uploaded or fetched logo, already checked (logo.ts). */
  logo?: ClientLogo | undefined;
  /** A public JWK Set: the client authenticates with private_key_jwt instead of a secret. */
  jwks?: { keys: object[] };
  /** Who registers it: `user:<id>`, `client:<id>`, `api_key:<id>` or `cli`. */
  actor: string;
  /** The creating credential's scopes; none for a signed-in user or the CLI. */
  maxScopes?: ReadonlySet<string> | undefined;
  /** Clients the account may hold (settings.clientsPerAccount); LIMITS.clientsPerAccount unless given. */
  maxClients?: number | undefined;
}

export interface ClientChanges {
  name?: string | undefined;
  homepageUrl?: string | undefined;
  redirectUris?: readonly string[] | undefined;
  postLogoutRedirectUris?: readonly string[] | undefined;
  scopes?: string | undefined;
  /** A new logo, or null to remove it. */
  logo?: ClientLogo | null | undefined;
}

export function auditEvent(client: ClientRecord, actor: string, action: string, at: Date, detail: Record<string, string>, reason?: string): AuditEvent {
  return { id: generateSortableId('evt'), accountId: client.accountId, actor, action, targetId: client.id, reason, at, detail };
}

function checkJwks(jwks: CreateClientInput['jwks']): { keys: object[] } | undefined {
  if (jwks === undefined) return undefined;
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new ValidationError('jwks', 'jwks must be a JWK Set with at least one public key');
  }
  if (jwks.keys.some((k) => typeof k !== 'object' || k === null || 'd' in k || (k as { kty?: string }).kty === 'oct')) {
    throw new ValidationError('jwks', 'jwks must hold public asymmetric keys only');
  }
  return jwks;
}

/** A short digest of the logo's bytes, so its URL changes with it (and caches can keep it for long). */
async function digestOf(logo: ClientLogo | undefined): Promise<string | undefined> {
  if (!logo) return undefined;
  const hash = await crypto.subtle.digest('SHA-256', logo.bytes);
  return Buffer.from(hash).subarray(0, 12).toString('base64url');
}

export async function createClient(
  store: Store, pepper: Pepper, input: CreateClientInput,
): Promise<{ clientId: string; clientSecret: string | undefined; record: ClientRecord }> {
  if (!await store.findAccount(input.accountId)) throw new ValidationError('account', `no account ${input.accountId.replace(/[^\w-]/g, '')}`);
  const name = checkName(input.name);
  const type = checkType(input.type);
  const environment = checkEnvironment(input.environment);
  const scopes = checkScopes(input.scopes, type, input.maxScopes);
  const redirectUris = checkRedirectUris(input.redirectUris ?? [], type);
  const postLogoutRedirectUris = checkPostLogoutRedirectUris(input.postLogoutRedirectUris ?? [], type);
  const homepageUrl = checkHomepage(input.homepageUrl);
  if (type === 'public' && input.jwks) throw new ValidationError('jwks', 'a public client has no credentials: it proves itself with PKCE alone');
  if (type === 'service' && (homepageUrl || input.logo)) {
    throw new ValidationError(homepageUrl ? 'homepage_url' : 'logo', 'a service client has no homepage or logo: users never see it');
  }
  const jwks = checkJwks(input.jwks);
  const maxClients = input.maxClients ?? LIMITS.clientsPerAccount;
  if ((await store.listClients(input.accountId)).length >= maxClients) {
    throw new LatchkeyError('limit_reached', `an account holds at most ${maxClients} OAuth clients: delete clients it no longer uses`);
  }
  const now = new Date();
  // A public client runs on the user's device: a secret there would be no secret.
  const fresh = jwks || type === 'public' ? undefined : newSecret(pepper, now);
  const record: ClientRecord = {
    id: generateId(`client_${environment}`),
    accountId: input.accountId,
    name,
    type,
    environment,
    scopes,
    redirectUris,
    postLogoutRedirectUris,
    authMethod: type === 'public' ? 'none' : jwks ? 'private_key_jwt' : 'client_secret_basic',
    secretHash: fresh?.record.hash,
    secrets: fresh ? [fresh.record] : [],
    jwks,
    homepageUrl,
    logoDigest: await digestOf(input.logo),
    resource: undefined,
    createdBy: input.actor,
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
  await store.createClient(record, auditEvent(record, input.actor, 'client.created', now, { name, type, environment }), input.logo);
  return { clientId: record.id, clientSecret: fresh?.secret, record };
}

/** The client, if it exists and belongs to the account; otherwise not_found (never "exists elsewhere"). */
export const clientNotFound = (clientId: string) => new LatchkeyError('not_found', `no client ${clientId.replace(/[^\w-]/g, '').slice(0, 64)}`);

export async function getClient(store: Pick<ClientStore, 'findClient'>, accountId: string, clientId: string): Promise<ClientRecord> {
  const client = await store.findClient(clientId);
  if (!client || client.accountId !== accountId) throw clientNotFound(clientId);
  return client;
}

/**
 * Stores `change(current)` conditionally on the revision read; on a race, reads again and retries
 * once (the change is recomputed from the fresh record), else conflict.
 */
export async function updateWithRetry(
  store: Store, client: ClientRecord, change: (current: ClientRecord, now: Date) => Promise<{ next: ClientRecord; event: AuditEvent; logo?: ClientLogo | null }>,
): Promise<ClientRecord> {
  let current = client;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const now = new Date();
    const { next, event, logo } = await change(current, now);
    if (await store.updateClient(next, current.revision, event, logo)) return next;
    const fresh = await store.findClient(client.id);
    if (!fresh) throw new LatchkeyError('not_found', `no client ${client.id}`);
    current = fresh;
  }
  throw new LatchkeyError('conflict', 'the client was changed by someone else at the same time; reload it and try again');
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Edits name, homepage, redirect URIs, scopes and logo (each checked as at registration). Narrowed
 * scopes take effect on the next token: oidc-provider reads the client on every request.
 */
export async function updateClient(
  store: Store, client: ClientRecord, changes: ClientChanges, actor: string, maxScopes?: ReadonlySet<string>,
): Promise<ClientRecord> {
  if (client.type === 'resource_server') checkResourceServerChanges(changes);
  const name = changes.name === undefined ? client.name : checkName(changes.name);
  const scopes = changes.scopes === undefined ? [...client.scopes] : checkScopes(changes.scopes, client.type, maxScopes);
  const redirectUris = changes.redirectUris === undefined ? [...client.redirectUris] : checkRedirectUris(changes.redirectUris, client.type);
  const postLogout = changes.postLogoutRedirectUris === undefined
    ? [...client.postLogoutRedirectUris] : checkPostLogoutRedirectUris(changes.postLogoutRedirectUris, client.type);
  const homepageUrl = changes.homepageUrl === undefined ? client.homepageUrl : checkHomepage(changes.homepageUrl);
  if (client.type === 'service' && (homepageUrl || changes.logo)) {
    throw new ValidationError(homepageUrl ? 'homepage_url' : 'logo', 'a service client has no homepage or logo: users never see it');
  }
  const logoDigest = changes.logo === undefined ? client.logoDigest : await digestOf(changes.logo ?? undefined);
  // Applied to the record as it is when written: a retry after a conflict re-applies only this
  // request's own changes to the fresh record, never the values it first read.
  return updateWithRetry(store, client, async (current, now) => {
    const next: ClientRecord = {
      ...current,
      name: changes.name === undefined ? current.name : name,
      scopes: changes.scopes === undefined ? [...current.scopes] : scopes,
      redirectUris: changes.redirectUris === undefined ? [...current.redirectUris] : redirectUris,
      postLogoutRedirectUris: changes.postLogoutRedirectUris === undefined ? [...current.postLogoutRedirectUris] : postLogout,
      homepageUrl: changes.homepageUrl === undefined ? current.homepageUrl : homepageUrl,
      logoDigest: changes.logo === undefined ? current.logoDigest : logoDigest,
      updatedAt: now, revision: current.revision + 1, secrets: prune(current.secrets, now),
    };
    const changed = [
      next.name !== current.name && 'name', !sameList(next.scopes, current.scopes) && 'scopes',
      !sameList(next.redirectUris, current.redirectUris) && 'redirect_uris',
      !sameList(next.postLogoutRedirectUris, current.postLogoutRedirectUris) && 'post_logout_redirect_uris', next.homepageUrl !== current.homepageUrl && 'homepage_url',
      changes.logo !== undefined && 'logo',
    ].filter((v): v is string => Boolean(v));
    const detail = { name: next.name, changed: changed.join(' ') || 'nothing' };
    return { next, event: auditEvent(current, actor, 'client.updated', now, detail), logo: changes.logo };
  });
}

/** Deletes the client: its grants and refresh tokens die at once; access tokens live until their exp. */
export async function deleteClient(store: Store, client: ClientRecord, actor: string): Promise<void> {
  const event = auditEvent(client, actor, 'client.deleted', new Date(), { name: client.name });
  if (!await store.deleteClient(client.id, event)) throw new LatchkeyError('not_found', `no client ${client.id}`);
}

/** Where the logo is served, on our own origin, keyed by its digest so a new logo gets a new URL. */
export function logoUrl(client: ClientRecord, issuer: string): string | null {
  return client.logoDigest ? `${issuer}/logos/${encodeURIComponent(client.id)}?v=${client.logoDigest}` : null;
}

/** What the API, the CLI and the portal show of a client: never a secret or a hash. */
export function presentClient(client: ClientRecord, issuer: string) {
  const iso = (d: Date | undefined) => d?.toISOString() ?? null;
  const now = new Date();
  return {
    id: client.id,
    object: 'client',
    name: client.name,
    type: client.type,
    environment: client.environment,
    ...(client.resource ? { resource: client.resource } : {}),
    scopes: [...client.scopes],
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    homepage_url: client.homepageUrl ?? null,
    logo_url: logoUrl(client, issuer),
    token_endpoint_auth_method: client.authMethod,
    created_at: iso(client.createdAt),
    created_by: client.createdBy,
    updated_at: iso(client.updatedAt),
    secrets: client.secrets.map((s) => ({
      id: s.id,
      last4: s.last4,
      status: isLive(s, now) ? (s.expiresAt ? 'overlapping' : 'active') : (s.revokedAt ? 'revoked' : 'expired'),
      created_at: iso(s.createdAt),
      expires_at: iso(s.expiresAt),
      revoked_at: iso(s.revokedAt),
      revoked_reason: s.revokedReason ?? null,
    })),
  };
}
