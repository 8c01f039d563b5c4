// A credential never mints a key that outreaches or outlives it: a key made through the API holds
// at most the creating credential's scopes, expires no later than it does, and dies with the grant
// of a user-delegated token. A signed-in portal user (or the CLI) of the account keeps full choice.
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { invalidToken } from '../../packages/guard/challenges.ts';
import type { Principal } from '../http/principal.ts';

export interface KeyLimits {
  /** The scopes a new key may hold; undefined: any scope an API key can hold. */
  readonly scopes: ReadonlySet<string> | undefined;
  /** A new key expires no later than this. */
  readonly expiresBy: Date | undefined;
  /** The grant a new key is bound to: it is revoked whenever that grant dies. */
  readonly grantId: string | undefined;
}

export const NO_LIMITS: KeyLimits = { scopes: undefined, expiresBy: undefined, grantId: undefined };

/**
 * The expiry of a user-delegated token's grant. Its access token outlives a revoked grant by up to
 * its lifetime, so the grant is read, not assumed: a dead one answers 401 invalid_token.
 */
export async function liveGrantExpiry(store: Store, grantId: string): Promise<Date> {
  const grant = await store.oidc.find('Grant', grantId);
  const exp = typeof grant?.exp === 'number' ? grant.exp * 1000 : undefined;
  if (!grant || exp === undefined || exp <= Date.now()) {
    throw invalidToken('the grant behind this access token was revoked or has expired; the user must authorize the app again');
  }
  return new Date(exp);
}

/** What the credential behind `principal` may put into a key (`grantExpiresAt`: from liveGrantExpiry). */
export async function keyLimitsOf(store: Store, principal: Principal, grantExpiresAt?: Date): Promise<KeyLimits> {
  const { credential } = principal;
  if (credential.kind === 'api_key') {
    const key = await store.findApiKey(credential.id);
    if (!key) throw invalidToken('the API key is not recognized');
    return { scopes: principal.scopes, expiresBy: key.expiresAt, grantId: key.grantId };
  }
  if (!credential.grantId) return { scopes: principal.scopes, expiresBy: undefined, grantId: undefined };
  const expiresBy = grantExpiresAt ?? await liveGrantExpiry(store, credential.grantId);
  return { scopes: principal.scopes, expiresBy, grantId: credential.grantId };
}

/** 403 naming the scopes the creating credential does not hold. */
export function checkScopesWithin(scopes: readonly string[], limits: KeyLimits): void {
  if (!limits.scopes) return;
  const missing = scopes.filter((scope) => !limits.scopes!.has(scope));
  if (missing.length === 0) return;
  throw new LatchkeyError('insufficient_scope',
    `this credential does not hold ${missing.join(' ')}; a key can hold only scopes the credential creating it holds`, {
      field: 'scopes',
      details: { required_scope: missing[0]!, missing_scopes: missing },
    });
}

/** The earlier of the two expiries (undefined: none). */
export function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}
