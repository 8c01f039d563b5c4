// What the apps pages show: an app as a row or a page, the scopes a type may be offered, the
// overlap choices. Plain data for the EJS views; no secret ever reaches these (only last4).
import type { ClientRecord, ClientSecretRecord } from '../../adapters/contract.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { CLIENT_TYPE_SCOPES, NON_CONSENT_SCOPE_NAMES, describeScope, isUserFacing, scopeGroupOf, type ClientType } from '../../config/scopes.ts';
import { parseClientOverlap } from '../clients/service.ts';
import { formatDate } from './format.ts';

export const APP_TYPES: readonly ClientType[] = ['web', 'public', 'service'];

export const TYPE_LABELS: Record<ClientType, string> = {
  web: 'Web app', public: 'Public client', service: 'Service client', resource_server: 'Resource server',
};

/** The overlap choices of "Rotate secret"; '0' asks for confirmation first. */
export const OVERLAP_CHOICES = ['0', '1h', '24h', '7d'];

export function overlapChoices() {
  return OVERLAP_CHOICES.map((value) => ({
    value,
    label: value === '0' ? 'none: it stops working now' : humanDuration(parseClientOverlap(value)),
  }));
}

/** The scopes a client of this type may be given, with their plain-words descriptions and, with several resources, the resource's name. */
export function scopeChoices(type: ClientType) {
  const allowed: readonly string[] = CLIENT_TYPE_SCOPES[type];
  return allowed
    .filter((name) => !isUserFacing(type) || !NON_CONSENT_SCOPE_NAMES.has(name))
    .map((name) => ({ name, description: describeScope(name)?.description ?? name, group: scopeGroupOf(name) }));
}

type SecretState = 'current' | 'overlapping' | 'expired' | 'revoked';

function secretState(secret: ClientSecretRecord, index: number, now: Date): SecretState {
  if (secret.revokedAt) return 'revoked';
  if (secret.expiresAt && secret.expiresAt <= now) return 'expired';
  return index === 0 && !secret.expiresAt ? 'current' : 'overlapping';
}

function presentSecret(secret: ClientSecretRecord, index: number, now: Date, lastUsed: ReadonlyMap<string, Date>) {
  const state = secretState(secret, index, now);
  const used = lastUsed.get(secret.id);
  return {
    lastUsed: used ? formatDate(used) : '',
    id: secret.id,
    last4: secret.last4,
    state,
    created: formatDate(secret.createdAt),
    expires: secret.expiresAt ? formatDate(secret.expiresAt) : '',
    revoked: secret.revokedAt ? formatDate(secret.revokedAt) : '',
    revokedReason: secret.revokedReason === 'reported_leaked' ? 'reported leaked' : secret.revokedReason ?? '',
  };
}

/** "…abcd in use", plus until when a previous secret still works: the list's one-line summary. */
function secretSummary(client: ClientRecord, now: Date): string {
  if (client.authMethod === 'private_key_jwt') return 'Signs with its own keys (no secret)';
  const live = client.secrets.filter((s) => !s.revokedAt && (!s.expiresAt || s.expiresAt > now));
  if (live.length === 0) return 'No working secret: rotate to get one';
  const newest = live[0]!;
  if (live.length === 1) return `…${newest.last4} in use`;
  const ends = live.slice(1).map((s) => s.expiresAt!).sort((a, b) => a.getTime() - b.getTime());
  return `…${newest.last4} in use; the previous secret works until ${formatDate(ends.at(-1))}`;
}

export function logoUrl(client: ClientRecord): string | undefined {
  return client.logoDigest ? `/logos/${encodeURIComponent(client.id)}?v=${encodeURIComponent(client.logoDigest)}` : undefined;
}

/**
 * What an integrator needs to connect the app: the issuer, discovery and endpoints, and for an app
 * that signs people in, an authorization URL ready to fill with its PKCE challenge and state.
 */
export function integrationFacts(client: ClientRecord, issuer: string) {
  const authorize = new URL(`${issuer}/auth`);
  if (client.redirectUris[0]) {
    authorize.search = new URLSearchParams({
      client_id: client.id, response_type: 'code', redirect_uri: client.redirectUris[0], scope: client.scopes.join(' '),
      code_challenge_method: 'S256',
    }).toString();
  }
  return {
    issuer, discovery: `${issuer}/.well-known/openid-configuration`, authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token`,
    authorizationUrl: client.redirectUris[0] ? `${authorize.href}&code_challenge=YOUR_CHALLENGE&state=YOUR_STATE` : '',
  };
}

export function presentApp(client: ClientRecord, now = new Date(), lastUsed: ReadonlyMap<string, Date> = new Map()) {
  // Long ids may wrap after their prefix (client_test_) on a narrow screen.
  const cut = client.id.lastIndexOf('_') + 1;
  return {
    id: client.id,
    idPrefix: client.id.slice(0, cut),
    idRest: client.id.slice(cut),
    name: client.name,
    type: client.type,
    typeLabel: TYPE_LABELS[client.type],
    environment: client.environment,
    scopes: [...client.scopes],
    redirectUris: [...client.redirectUris],
    postLogoutRedirectUris: [...client.postLogoutRedirectUris],
    homepageUrl: client.homepageUrl ?? '',
    logoUrl: logoUrl(client),
    created: formatDate(client.createdAt),
    secretSummary: secretSummary(client, now),
    usesSecret: client.authMethod === 'client_secret_basic',
    secrets: client.secrets.map((s, i) => presentSecret(s, i, now, lastUsed)),
  };
}

export type AppView = ReturnType<typeof presentApp>;

export const MAX_OVERLAP = humanDuration(LIFETIMES.clientSecretMaxOverlap);
export const LOGO_MAX_KB = LIMITS.logoMaxBytes / 1024;
