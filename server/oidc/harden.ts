// Changes to oidc-provider's behaviour that its configuration cannot express.
import { hash, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { StoreUnavailableError } from '../../adapters/contract.ts';
import { STORE_RETRY_AFTER_SECONDS } from '../../config/errors.ts';
import { CODE_EXCHANGE_FAILURES, EXPIRY_DESCRIPTIONS, GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { SCOPES } from '../../config/scopes.ts';
import { SECRETS_PROPERTY, type LiveSecret } from './client-metadata.ts';
import { Pepper } from '../secrets.ts';
import { linkErrorsToCatalog } from './error-uri.ts';
import { tombstoneOf } from './grant-revocation.ts';
import { rfcErrors } from './rfc-errors.ts';
import { metadataOf, named } from './scope-policy.ts';
import { onAnswer } from '../http/answer-steps.ts';

/** The secrets a client may authenticate with now (client-metadata.ts), or its one client_secret (no id). */
function acceptedSecrets(metadata: Record<string, unknown>, clientSecret: unknown, nowSeconds: number): { id: string | undefined; hash: string }[] {
  const listed = metadata[SECRETS_PROPERTY];
  // A client stored before secrets were listed has only its one client_secret.
  if (!Array.isArray(listed) || listed.length === 0) return typeof clientSecret === 'string' ? [{ id: undefined, hash: clientSecret }] : [];
  return (listed as LiveSecret[])
    .filter((s) => typeof s.hash === 'string' && (s.expires_at === null || s.expires_at > nowSeconds))
    .map((s) => ({ id: typeof s.id === 'string' ? s.id : undefined, hash: s.hash }));
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Client secrets are stored as HMACs: hash what the client presents and compare, in constant time,
 * with every secret the client holds that is neither revoked nor past the end of its overlap after
 * a rotation. client_secret_expires_at is never set: it would end the whole client, not one secret.
 * The secret that matched is told to `used` (its last use, shown on the app page).
 */
export function checkHashedClientSecrets(
  provider: Provider, pepper: Pepper, used: (secretId: string) => void = () => undefined,
  underOldPepper: (clientId: string, secretId: string, presented: string) => void = () => undefined,
): void {
  // Secrets seen to match, per client object, by a plain SHA-256 of what was presented (as API keys
  // are: ../api-keys/key-cache.ts). oidc-provider builds a new client object whenever the stored
  // metadata changes (a rotation, a revocation), so an entry lives only as long as that metadata.
  const matchedBefore = new WeakMap<object, Map<string, string>>();
  provider.Client.prototype.compareClientSecret = async function compareHashedSecret(actual: string) {
    const secrets = acceptedSecrets(metadataOf(this), this.clientSecret, Math.floor(Date.now() / 1000));
    const digest = hash('sha256', actual, 'base64url');
    const knownHash = matchedBefore.get(this)?.get(digest);
    // Still accepted now (a rotated-out secret's overlap ends with time, not with a metadata change).
    const known = knownHash === undefined ? undefined : secrets.find((secret) => secret.hash === knownHash);
    if (known && pepper.isCurrent(known.hash)) {
      if (known.id) used(known.id);
      return true;
    }
    // One HMAC of what was presented per pepper, compared with each secret (no early exit), so the
    // time taken does not say which one matched.
    const presented = new Map(pepper.hashes(actual).map((hash) => [Pepper.idOf(hash), Buffer.from(hash)]));
    const matches = secrets.map((secret) => {
      const candidate = presented.get(Pepper.idOf(secret.hash));
      return candidate !== undefined && sameBytes(candidate, Buffer.from(secret.hash));
    });
    const matched = secrets[matches.indexOf(true)];
    if (matched?.id) {
      used(matched.id);
      if (!pepper.isCurrent(matched.hash)) underOldPepper(this.clientId, matched.id, actual);
    }
    // Not under an old pepper: that hash is about to move, and its next use must reach underOldPepper.
    if (matched && pepper.isCurrent(matched.hash)) {
      let remembered = matchedBefore.get(this);
      if (!remembered) matchedBefore.set(this, remembered = new Map<string, string>());
      remembered.set(digest, matched.hash);
    }
    return matched !== undefined;
  };
}

interface GrantErrorBody {
  error?: string;
  error_description?: string;
  scope?: string;
}

// oidc-provider puts the reason in a private detail; partners need it in the public description.
const SPENT_TOKEN_DETAILS = new Set([
  'refresh token already used',
  'authorization code already used',
  'authorization code already consumed',
]);

/**
 * Says plainly, in error_description, why a refresh token no longer works (a spent token revoked
 * the grant; its grant was revoked earlier, and why; it or its grant expired) or a scope was refused.
 */
function describeGrantErrors(provider: Provider): void {
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: { error_detail?: string; scope?: string }) => {
    const body = ctx.body as GrantErrorBody | undefined;
    if (!body || typeof body !== 'object') return;
    const tombstone = tombstoneOf(ctx);
    if (body.error === 'invalid_grant' && tombstone) {
      body.error_description = GRANT_REVOCATION_REASONS[tombstone.reason].description;
    } else if (body.error === 'invalid_grant' && err.error_detail && Object.hasOwn(EXPIRY_DESCRIPTIONS, err.error_detail)) {
      body.error_description = EXPIRY_DESCRIPTIONS[err.error_detail as keyof typeof EXPIRY_DESCRIPTIONS];
    } else if (body.error === 'invalid_grant' && ctx.oidc.params?.grant_type === 'authorization_code' && err.error_detail
      && Object.hasOwn(CODE_EXCHANGE_FAILURES, err.error_detail)) {
      body.error_description = CODE_EXCHANGE_FAILURES[err.error_detail as keyof typeof CODE_EXCHANGE_FAILURES].description;
    } else if (body.error === 'invalid_grant' && err.error_detail && SPENT_TOKEN_DETAILS.has(err.error_detail)) {
      body.error_description = `${err.error_detail}: the grant has been revoked, with every token issued `
        + 'from it; the user must authorize the client again';
    } else if (body.error === 'invalid_scope' && err.scope && body.error_description?.includes('refresh token')) {
      body.error_description = `the refresh token was not granted the scope ${err.scope.split(' ').map(named).join(' ')}`;
    }
  });
}

/**
 * Discovery lists only oidc-provider's own scopes (openid, offline_access); the Partner API's live
 * on the resource server. Advertise the whole catalog, as partners read scopes_supported.
 */
export function advertiseCatalogScopes(provider: Provider): void {
  onAnswer(provider, {
    answered(ctx) {
      if (ctx.oidc?.route === 'discovery' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        (ctx.body as { scopes_supported?: string[] }).scopes_supported = SCOPES.map((s) => s.name);
      }
    },
  });
}

/** Error answers are never cached, on every endpoint (oidc-provider leaves some, like revocation's, open). */
function noStoreOnErrors(provider: Provider): void {
  onAnswer(provider, {
    answered(ctx) {
      if (ctx.status >= 400) ctx.set('Cache-Control', 'no-store');
    },
  });
}

/**
 * A store outage is not a server bug: answer 503 with Retry-After and RFC 6749's
 * temporarily_unavailable, so clients back off and retry, instead of a 500.
 */
function storeOutageIs503(provider: Provider): void {
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: unknown) => {
    if (!(err instanceof StoreUnavailableError)) return;
    ctx.status = 503;
    ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    if (ctx.body && typeof ctx.body === 'object') {
      ctx.body = { error: 'temporarily_unavailable', error_description: 'the data store is unavailable; retry shortly' };
    }
  });
}

/**
 * The provider's errors, rewritten in one step: linked to their catalog entry (error_uri), never
 * cached, a store outage as 503 temporarily_unavailable, refresh failures that say why, and the
 * codes and descriptions RFC 6749 asks for. The order is the order they apply in.
 */
export function rewriteOAuthErrors(provider: Provider): void {
  linkErrorsToCatalog(provider);
  noStoreOnErrors(provider);
  storeOutageIs503(provider);
  describeGrantErrors(provider);
  rfcErrors(provider);
}
