// What a caller may ask of an OAuth client: name, type, environment, scopes, redirect URIs,
// homepage and secret-rotation overlap, each checked with a ValidationError naming the form field.
// Messages are plain words without double quotes or backslashes: some end up in RFC 6749
// error descriptions, where neither is allowed.
import type { Environment } from '../../adapters/contract.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { CLIENT_TYPE_SCOPES, NON_CONSENT_SCOPE_NAMES, SCOPE_NAMES, isUserFacing, parseScopeList, type ClientType } from '../../config/scopes.ts';
import { durationSeconds } from '../../config/settings.ts';
import { LatchkeyError, ValidationError } from '../../config/errors.ts';
import { checkName } from '../http/input-rules.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URL = 2000;
const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;

/** The value, when it is safe to repeat in a message (visible ASCII, no quote or backslash, bounded). */
export function quoted(value: string): string {
  return /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/.test(value) ? `'${value}'` : 'the value given';
}

/** A client's name: the shared rule for names (server/http/input-rules.ts). */
export { checkName };

export function checkType(value: string): ClientType {
  if (value !== 'service' && value !== 'web' && value !== 'public') throw new ValidationError('type', 'type must be service, web or public');
  return value;
}

/** RFC 8252 section 7.3: loopback redirect URIs of a native app, any port (http on these hosts only). */
const NATIVE_LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** RFC 8252 section 7.1: a private-use scheme is a reverse domain name (it holds a dot), never a web one. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/** Whether a public client's redirect URI stays on the user's device: loopback, or a private-use scheme. */
export function isDeviceRedirect(value: string): boolean {
  const url = URL.parse(value);
  if (!url) return false;
  return (url.protocol === 'http:' && NATIVE_LOOPBACK.has(url.hostname)) || PRIVATE_USE_SCHEME.test(url.protocol);
}

/**
 * A public client's redirect URI, as RFC 8252 allows: http on a loopback host (any port, matched
 * without it), an https URL the app claims, or a private-use scheme (`com.example.app:/callback`).
 */
export function checkPublicRedirectUri(value: string): string {
  const url = value.length <= MAX_URL ? URL.parse(value) : null;
  if (!url) throw new ValidationError('redirect_uris', `redirect URI ${quoted(value)} is not an absolute URL`);
  if (url.hash) throw new ValidationError('redirect_uris', `redirect URI ${quoted(value)} must not contain a fragment`);
  if (url.username || url.password) throw new ValidationError('redirect_uris', `redirect URI ${quoted(value)} must not contain a user name or password`);
  if (url.protocol === 'https:' || isDeviceRedirect(value)) return value;
  throw new ValidationError('redirect_uris', `redirect URI ${quoted(value)} must be http on 127.0.0.1, [::1] or localhost, https, `
    + 'or a private-use scheme named after a domain you own (such as com.example.app:/callback)');
}

export function checkEnvironment(value: string | undefined): Environment {
  const env = value || 'test';
  if (env !== 'test' && env !== 'live') throw new ValidationError('environment', 'environment must be test or live');
  return env;
}

/** An https URL, or http on a loopback host; no fragment, no credentials in it. */
function checkWebUrl(value: string, field: string, what: string): URL {
  const url = value.length <= MAX_URL ? URL.parse(value) : null;
  if (!url) throw new ValidationError(field, `${what} ${quoted(value)} is not an absolute URL`);
  if (url.username || url.password) throw new ValidationError(field, `${what} ${quoted(value)} must not contain a user name or password`);
  if (url.hash) throw new ValidationError(field, `${what} ${quoted(value)} must not contain a fragment`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new ValidationError(field, `${what} ${quoted(value)} must use https (http is allowed only for localhost)`);
  }
  return url;
}

/** Exact-match redirect URIs: https, or http on a loopback host; no fragment. */
export function checkRedirectUri(value: string): string {
  checkWebUrl(value, 'redirect_uris', 'redirect URI');
  return value;
}

/**
 * Where RP-Initiated Logout may return the browser (post_logout_redirect_uris): the redirect URIs'
 * rules, for web apps only, at most as many.
 */
export function checkPostLogoutRedirectUris(values: readonly string[], type: ClientType): string[] {
  const uris = [...new Set(values.map((v) => v.trim()).filter(Boolean).map((v) => {
    checkWebUrl(v, 'post_logout_redirect_uris', 'post-logout redirect URI');
    return v;
  }))];
  if (type !== 'web' && uris.length > 0) throw new ValidationError('post_logout_redirect_uris', 'only a web app returns users after signing out');
  if (uris.length > LIMITS.redirectUrisPerClient) {
    throw new ValidationError('post_logout_redirect_uris', `a client may register at most ${LIMITS.redirectUrisPerClient} post-logout redirect URIs`);
  }
  return uris;
}

export function checkRedirectUris(values: readonly string[], type: ClientType): string[] {
  const check = type === 'public' ? checkPublicRedirectUri : checkRedirectUri;
  const uris = [...new Set(values.map((v) => v.trim()).filter(Boolean).map(check))];
  if (type === 'web' && uris.length === 0) throw new ValidationError('redirect_uris', 'a web app needs at least one redirect URI');
  if (type === 'public' && uris.length === 0) throw new ValidationError('redirect_uris', 'a public client needs at least one redirect URI');
  if (type === 'service' && uris.length > 0) throw new ValidationError('redirect_uris', 'a service client has no redirect URIs');
  if (uris.length > LIMITS.redirectUrisPerClient) {
    throw new ValidationError('redirect_uris', `a client may register at most ${LIMITS.redirectUrisPerClient} redirect URIs`);
  }
  return uris;
}

/** A web app's homepage, shown on the consent page; empty means none. */
export function checkHomepage(value: string | undefined): string | undefined {
  const text = (value ?? '').trim();
  if (!text) return undefined;
  return checkWebUrl(text, 'homepage_url', 'homepage').href;
}

/** Always allowed for web apps, whoever registers them: they are protocol scopes, not API access. */
const PROTOCOL_SCOPES = new Set(['openid', 'email', 'offline_access']);

/**
 * The scopes a client of `type` may hold, within `maxScopes` (the creating credential's scopes; none
 * for a signed-in user or the CLI). Non-consentable scopes are never registrable on a web app.
 */
export function checkScopes(value: string, type: ClientType, maxScopes?: ReadonlySet<string>): string[] {
  const scopes = parseScopeList(value);
  if (scopes.length === 0) throw new ValidationError('scopes', 'give at least one scope');
  const allowed: readonly string[] = CLIENT_TYPE_SCOPES[type];
  for (const scope of scopes) {
    if (!SCOPE_NAMES.has(scope)) throw new ValidationError('scopes', `unknown scope ${quoted(scope)}; the scopes that exist are listed at /docs/scopes`);
    if (isUserFacing(type) && NON_CONSENT_SCOPE_NAMES.has(scope)) {
      throw new ValidationError('scopes', `a ${type === 'web' ? 'web app' : 'public client'} cannot hold ${scope}: users cannot grant it through consent`);
    }
    if (!allowed.includes(scope)) throw new ValidationError('scopes', `a ${type} client cannot hold ${scope}`);
  }
  if (maxScopes) {
    const missing = scopes.filter((s) => !maxScopes.has(s) && !(isUserFacing(type) && PROTOCOL_SCOPES.has(s)));
    if (missing.length > 0) {
      // As for keys: a scope the credential lacks is insufficient_scope, not a bad value.
      throw new LatchkeyError('insufficient_scope', `this credential does not hold ${missing.join(' ')}; a client can hold only scopes the credential creating or editing it holds`, {
        field: 'scopes', details: { required_scope: missing[0]!, missing_scopes: missing },
      });
    }
  }
  return scopes;
}

/** "24h", "90m", "7d", "0" or plain seconds; 0 to LIFETIMES.clientSecretMaxOverlap (default 24 hours). */
export function parseClientOverlap(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_OVERLAP_SECONDS;
  const seconds = durationSeconds(value);
  if (seconds === undefined || seconds > LIFETIMES.clientSecretMaxOverlap) {
    throw new ValidationError('overlap', `overlap must be a duration from 0 to ${humanDuration(LIFETIMES.clientSecretMaxOverlap)}, such as 0, 90m, 24h or 7d`);
  }
  return seconds;
}

/**
 * A resource server has a name and secrets only: it holds no scopes, has no redirect URIs, and users
 * never see it. Its resource is fixed at creation (a new resource is a new resource server).
 */
export function checkResourceServerChanges(changes: { scopes?: unknown; redirectUris?: unknown; homepageUrl?: unknown; logo?: unknown }): void {
  const field = (['scopes', 'redirectUris', 'homepageUrl', 'logo'] as const).find((f) => changes[f] !== undefined);
  if (!field) return;
  const names = { scopes: 'scopes', redirectUris: 'redirect_uris', homepageUrl: 'homepage_url', logo: 'logo' } as const;
  throw new ValidationError(names[field], `a resource server has only a name and secrets; its ${names[field]} cannot be set`);
}

