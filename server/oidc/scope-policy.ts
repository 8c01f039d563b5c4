// Our scope rule: a scope that does not exist, or that the client may not hold, is an invalid_scope
// error that names it. oidc-provider ignores unknown scopes and silently drops, for client
// credentials, the ones a resource does not list; this check runs first on every grant.
import { errors } from 'oidc-provider';
import { NON_CONSENT_SCOPE_NAMES, SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';

export interface ScopeHolder {
  metadata(): Record<string, unknown>;
}

/** A scope as the error may name it: a scope token (RFC 6749 3.3) of bounded length, or a generic word. */
export function named(scope: string): string {
  return /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(scope) ? `'${scope}'` : '(not repeated: too long or malformed)';
}

const metadataCache = new WeakMap<ScopeHolder, Record<string, unknown>>();

/**
 * The client's metadata, built once per Client object: oidc-provider's metadata() re-maps every
 * property to snake_case on each call, a visible share of a token request. A Client is never
 * changed in place (a new metadata hash gives a new object), so the first answer stays right.
 */
export function metadataOf(client: ScopeHolder): Record<string, unknown> {
  let metadata = metadataCache.get(client);
  if (!metadata) {
    metadata = client.metadata();
    metadataCache.set(client, metadata);
  }
  return metadata;
}

export function allowedScopesOf(client: ScopeHolder): Set<string> {
  const value = metadataOf(client)['urn:latchkey:allowed_scopes'];
  return new Set(parseScopeList(typeof value === 'string' ? value : undefined));
}

/** A web app (authorization code): it acts for users through consent. */
function actsThroughConsent(client: ScopeHolder): boolean {
  const grantTypes = metadataOf(client).grant_types;
  return Array.isArray(grantTypes) && grantTypes.includes('authorization_code');
}

/**
 * `scopeRequired`: RFC 6749 (3.3) lets a server either default an omitted scope or refuse it. We
 * refuse: a credential should hold what its integration asked for, and the error lists the choice.
 */
export function assertScopesAllowed(
  requested: string | undefined, client: ScopeHolder, docsUrl: string, scopeRequired: boolean,
): void {
  const allowed = allowedScopesOf(client);
  const scopes = parseScopeList(requested);
  if (scopes.length === 0 && scopeRequired) {
    throw new errors.InvalidScope(`the scope parameter is required; this client may request: ${[...allowed].join(' ')}`, '');
  }
  for (const scope of scopes) {
    if (!SCOPE_NAMES.has(scope)) {
      throw new errors.InvalidScope(`unknown scope ${named(scope)}; the scopes that exist are listed at ${docsUrl}`, scope);
    }
    // Scopes that manage the account itself are never granted through consent, whatever an old
    // registration says: only the account's own service clients, API keys and portal sessions hold them.
    if (NON_CONSENT_SCOPE_NAMES.has(scope) && actsThroughConsent(client)) {
      throw new errors.InvalidScope(`scope ${named(scope)} cannot be granted to a web app: users cannot consent to it`, scope);
    }
    if (!allowed.has(scope)) {
      throw new errors.InvalidScope(`scope ${named(scope)} is not allowed for this client`, scope);
    }
  }
}
