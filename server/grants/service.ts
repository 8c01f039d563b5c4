// Connected apps: the grants a user gave, and disconnecting one (through the store's one
// revocation path, so its refresh tokens die at once and say why). Consent is audited here too.
import { isRegisteredOpenly } from '../../config/registration.ts';
import { findAgent, isAgentVerified, type AgentClient } from '../agents/registry.ts';
import type { ClientRecord, OidcPayload, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { parseScopeList } from '../../config/scopes.ts';
import { generateSortableId } from '../secrets.ts';
import { hostOf, scopesInWords, type ScopeWords } from './words.ts';

/** Who an app is, as the consent page and Connected apps show it. */
export interface AppIdentity {
  readonly clientId: string;
  readonly clientName: string;
  /** The registering organisation: the client's account name. */
  readonly organisation: string;
  readonly homepageUrl: string | undefined;
  readonly homepageHost: string;
  /** Served from our own origin (`/logos/<id>?v=<digest>`), when the app has a logo. */
  readonly logoUrl: string | undefined;
  /** A public client: it runs on the user's own device (desktop, mobile, command line, an agent). */
  readonly onDevice: boolean;
  /** Registered by anyone: nobody vouched for it; the consent page says so and names where it came from. */
  readonly unverified: boolean;
  /**
   * Where it comes from: the host its redirect URIs lead to, or for an app known by its metadata
   * document, that document's host (for an unverified app, the one thing known about it).
   */
  readonly redirectHost: string;
}

export interface ConnectedApp extends AppIdentity {
  readonly grantId: string;
  readonly scopes: readonly ScopeWords[];
  readonly since: Date;
  /** The last refresh (or the first token); undefined when no refresh token was ever issued. */
  readonly lastUsed: Date | undefined;
}

export function logoUrl(client: Pick<ClientRecord, 'id' | 'logoDigest'>): string | undefined {
  if (!client.logoDigest) return undefined;
  return `/logos/${encodeURIComponent(client.id)}?v=${encodeURIComponent(client.logoDigest)}`;
}

export async function appIdentity(store: Store, clientId: string): Promise<AppIdentity> {
  const client = await store.findClient(clientId);
  // An app known only by its metadata document is as it was last seen.
  const agent = client ? undefined : await findAgent(store, clientId);
  if (agent) return agentIdentity(agent);
  const account = client ? await store.findAccount(client.accountId) : undefined;
  // One read for an open registration: whether the operator verified it.
  const unverified = client ? isRegisteredOpenly(client) && !await isAgentVerified(store, clientId) : false;
  return {
    clientId,
    clientName: client?.name ?? clientId,
    organisation: account?.name ?? '',
    homepageUrl: client?.homepageUrl,
    homepageHost: hostOf(client?.homepageUrl),
    // An unverified app's logo would be its own claim: never shown.
    logoUrl: client && !unverified ? logoUrl(client) : undefined,
    onDevice: client?.type === 'public',
    unverified,
    redirectHost: hostOf(client?.redirectUris[0]),
  };
}

/** A client known by its metadata document: the document's host is where it came from. */
function agentIdentity(agent: AgentClient): AppIdentity {
  return {
    clientId: agent.id, clientName: agent.name || agent.id, organisation: '', homepageUrl: undefined, homepageHost: '',
    logoUrl: undefined, onDevice: agent.type === 'public', unverified: !agent.verified, redirectHost: agent.host,
  };
}

/** Every scope the grant holds: the OpenID ones and each resource's. */
function grantedScopes(grant: OidcPayload): string[] {
  const openid = (grant.openid as { scope?: string } | undefined)?.scope;
  const resources = Object.values((grant.resources as Record<string, string> | undefined) ?? {});
  return [...new Set([openid, ...resources].flatMap((scope) => parseScopeList(scope)))];
}

async function present(store: Store, grant: OidcPayload, lastUsed: Map<string, Date>): Promise<ConnectedApp> {
  const grantId = String(grant.jti);
  return {
    ...await appIdentity(store, String(grant.clientId)),
    grantId,
    scopes: scopesInWords(grantedScopes(grant)),
    since: new Date(Number(grant.iat) * 1000),
    lastUsed: lastUsed.get(grantId),
  };
}

export async function connectedApps(store: Store, userId: string): Promise<ConnectedApp[]> {
  const grants = await store.oidc.listGrants(userId);
  const lastUsed = await store.oidc.grantsLastUsed(grants.map((grant) => String(grant.jti)));
  return Promise.all(grants.map((grant) => present(store, grant, lastUsed)));
}

/** The user's grant; another user's grant, or none, is not_found (never says which). */
async function ownGrant(store: Store, userId: string, grantId: string): Promise<OidcPayload> {
  const grant = await store.oidc.find('Grant', grantId);
  if (!grant || grant.accountId !== userId) throw new LatchkeyError('not_found', 'no such connected app');
  return grant;
}

export async function findConnectedApp(store: Store, userId: string, grantId: string): Promise<ConnectedApp> {
  const grant = await ownGrant(store, userId, grantId);
  return present(store, grant, await store.oidc.grantsLastUsed([grantId]));
}

/** Revokes the user's grant; another user's grant, or none, is not_found. */
export async function disconnectApp(store: Store, userId: string, grantId: string): Promise<void> {
  await ownGrant(store, userId, grantId);
  await store.oidc.revokeByGrantId(grantId, { reason: 'revoked_by_user', actor: `user:${userId}`, at: new Date() });
}

export interface ConsentGiven {
  readonly user: { readonly id: string; readonly accountId: string };
  readonly grantId: string;
  readonly clientId: string;
  readonly appName: string;
  /** Every scope the grant holds after this consent. */
  readonly scopes: readonly string[];
}

/** `consent.granted` in the user's account: who approved which app for what. */
export async function recordConsent(store: Store, consent: ConsentGiven): Promise<void> {
  await store.recordAuditEvent({
    id: generateSortableId('evt'),
    accountId: consent.user.accountId,
    actor: `user:${consent.user.id}`,
    action: 'consent.granted',
    targetId: consent.grantId,
    reason: undefined,
    at: new Date(),
    detail: { client_id: consent.clientId, name: consent.appName, scopes: scopesInWords(consent.scopes).map((s) => s.name).join(' ') },
  });
}
