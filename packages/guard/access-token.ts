// The checks an RFC 9068 access token passes before it is a principal: signature by a key of the
// issuer's JWKS with an allowed algorithm, `typ: at+jwt`, `iss`, `aud` = this resource, `exp` and
// `nbf`, and the claims Latchkey puts in every token (client_id, sub, jti, account_id, env).
import type { GuardError } from './errors.ts';
import { DEFAULT_REALM, invalidToken } from './challenges.ts';
import { JwsError, verifyCompact, type JwsHeader, type KeyResolver } from './jws.ts';
import { scopeSet, type AccessTokenCredential, type Principal } from './principal.ts';

/** Algorithms a resource server may be told to accept: asymmetric only (never `none` or HS*). */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

/**
 * What it accepts unless told otherwise: the one algorithm Latchkey signs access tokens with. An
 * RS256 token, signed with the ID-token key say, is refused.
 */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly string[] = ['ES256'];

export interface AccessTokenChecks {
  issuer: string;
  /** The resource indicator this server answers for: the token's `aud` must name it. */
  audience: string;
  algorithms: readonly string[];
  /** Seconds of clock skew tolerated on exp, nbf and iat. */
  clockToleranceSeconds: number;
  /** The longest lifetime (exp - iat) a token may claim; unset: any. */
  maxLifetimeSeconds?: number;
  realm?: string;
}

export interface VerifiedAccessToken {
  principal: Principal & { readonly credential: AccessTokenCredential };
  /** The token's `exp`, in seconds: how long a verdict may be reused. */
  exp: number;
}

/** Why a token failed, for metrics; the answer itself is always 401 invalid_token. */
export type AccessTokenFailure = 'expired' | 'invalid';

export class AccessTokenError extends Error {
  readonly failure: AccessTokenFailure;
  readonly error: GuardError;
  constructor(failure: AccessTokenFailure, error: GuardError) {
    super(error.message);
    this.failure = failure;
    this.error = error;
  }
}

function principalOfClaims(payload: Record<string, unknown>, realm: string): VerifiedAccessToken['principal'] {
  const { account_id: accountId, env } = payload;
  if (typeof accountId !== 'string' || (env !== 'test' && env !== 'live')) throw invalidToken('the access token carries no account', undefined, realm);
  return {
    accountId,
    environment: env,
    scopes: scopeSet(payload.scope),
    credential: {
      kind: 'access_token',
      id: payload.jti as string,
      clientId: String(payload.client_id),
      subject: payload.sub as string,
      grantId: typeof payload.grant_id === 'string' ? payload.grant_id : undefined,
    },
  };
}

// In jose's order of checking them; a missing `aud` reads as another resource's token, as it did.
const REQUIRED_CLAIMS = ['iss', 'aud', 'jti', 'sub', 'client_id', 'exp'] as const;

/** `typ` compared as jose compares it: case-insensitive, `application/` implied. */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}

function numericDate(payload: Record<string, unknown>, claim: string, realm: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new AccessTokenError('invalid', invalidToken('the access token is invalid', undefined, realm));
  return value;
}

/**
 * The claims checks of jose's jwtVerify with our options, in its order: typ, required claims,
 * iss, aud, then iat (a number when present), nbf and exp against the clock with the tolerance.
 */
function checkClaims(header: JwsHeader, payload: Record<string, unknown>, checks: AccessTokenChecks, realm: string): void {
  const invalid = (message = 'the access token is invalid') => new AccessTokenError('invalid', invalidToken(message, undefined, realm));
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'application/at+jwt') throw invalid();
  for (const claim of REQUIRED_CLAIMS) {
    if (!Object.hasOwn(payload, claim)) throw claim === 'aud' ? invalid('the access token is for another resource (aud)') : invalid();
  }
  if (payload.iss !== checks.issuer) throw invalid();
  const { aud } = payload;
  if (!(aud === checks.audience || (Array.isArray(aud) && aud.includes(checks.audience)))) {
    throw invalid('the access token is for another resource (aud)');
  }
  const now = Math.floor(Date.now() / 1000);
  const tolerance = checks.clockToleranceSeconds;
  const iat = numericDate(payload, 'iat', realm);
  // Issued in the future, or living longer than any token the issuer makes: not a token it made.
  if (iat !== undefined && iat > now + tolerance) throw invalid();
  const nbf = numericDate(payload, 'nbf', realm);
  if (nbf !== undefined && nbf > now + tolerance) throw invalid();
  const exp = numericDate(payload, 'exp', realm);
  if (exp !== undefined && exp <= now - tolerance) {
    throw new AccessTokenError('expired', invalidToken('the access token has expired; refresh it or request a new one', undefined, realm));
  }
  if (checks.maxLifetimeSeconds !== undefined && exp !== undefined && exp - (iat ?? now) > checks.maxLifetimeSeconds + tolerance) throw invalid();
}

/** Verifies a token; throws AccessTokenError carrying the 401 to answer. */
export async function verifyAccessToken(token: string, keys: KeyResolver, checks: AccessTokenChecks): Promise<VerifiedAccessToken> {
  const realm = checks.realm ?? DEFAULT_REALM;
  let verified;
  try {
    verified = await verifyCompact(token, keys, allowedSet(checks.algorithms));
  } catch (err) {
    if (err instanceof JwsError) throw new AccessTokenError('invalid', invalidToken('the access token is invalid', undefined, realm));
    throw err;
  }
  const { header, payload } = verified;
  checkClaims(header, payload, checks, realm);
  try {
    return { principal: principalOfClaims(payload, realm), exp: payload.exp as number };
  } catch (err) {
    throw new AccessTokenError('invalid', err as GuardError);
  }
}

/** The allow-list as a set, made once per list. */
const allowedSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function allowedSet(algorithms: readonly string[]): ReadonlySet<string> {
  let set = allowedSets.get(algorithms);
  if (!set) allowedSets.set(algorithms, set = new Set(algorithms));
  return set;
}
