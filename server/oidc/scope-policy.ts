// Our scope rule: a scope that does not exist, or that the client may not hold, is an invalid_scope
// error that names it. oidc-provider ignores unknown scopes and silently drops, for client
// credentials, the ones a resource does not list; this check runs first on every grant.
import { errors } from 'oidc-provider';
import { SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';

export interface ScopeHolder {
  metadata(): Record<string, unknown>;
}

/** A scope as the error may name it: a scope token (RFC 6749 3.3) of bounded length, or a generic word. */
export function named(scope: string): string {
  return /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/.test(scope) ? `'${scope}'` : '(not repeated: too long or malformed)';
}

export function allowedScopesOf(client: ScopeHolder): Set<string> {
  const value = client.metadata()['urn:latchkey:allowed_scopes'];
  return new Set(parseScopeList(typeof value === 'string' ? value : undefined));
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
    if (!allowed.has(scope)) {
      throw new errors.InvalidScope(`scope ${named(scope)} is not allowed for this client`, scope);
    }
  }
}
