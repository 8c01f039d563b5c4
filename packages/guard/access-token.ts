// The checks an RFC 9068 access token passes before it is a principal: signature by a key of the
// issuer's JWKS with an allowed algorithm, `typ: at+jwt`, `iss`, `aud` = this resource, `exp` and
// `nbf`, and the claims Latchkey puts in every token (client_id, sub, jti, account_id, env).
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { LatchkeyError } from '../../config/errors.ts';
import { DEFAULT_REALM, invalidToken } from './challenges.ts';
import { scopeSet, type AccessTokenCredential, type Principal } from './principal.ts';

/** Algorithms a resource server accepts: what Latchkey signs with, and nothing weaker (never `none` or HS*). */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

export interface AccessTokenChecks {
  issuer: string;
  /** The resource indicator this server answers for: the token's `aud` must name it. */
  audience: string;
  algorithms: readonly string[];
  /** Seconds of clock skew tolerated on exp and nbf. */
  clockToleranceSeconds: number;
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
  readonly error: LatchkeyError;
  constructor(failure: AccessTokenFailure, error: LatchkeyError) {
    super(error.message);
    this.failure = failure;
    this.error = error;
  }
}

function principalOfClaims(payload: JWTPayload, realm: string): VerifiedAccessToken['principal'] {
  const { account_id: accountId, env } = payload;
  if (typeof accountId !== 'string' || (env !== 'test' && env !== 'live')) throw invalidToken('the access token carries no account', undefined, realm);
  return {
    accountId,
    environment: env,
    scopes: scopeSet(payload.scope),
    credential: {
      kind: 'access_token',
      id: payload.jti!,
      clientId: String(payload.client_id),
      subject: payload.sub!,
      grantId: typeof payload.grant_id === 'string' ? payload.grant_id : undefined,
    },
  };
}

/** Verifies a token; throws AccessTokenError carrying the 401 to answer. */
export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, checks: AccessTokenChecks): Promise<VerifiedAccessToken> {
  const realm = checks.realm ?? DEFAULT_REALM;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: checks.issuer,
      audience: checks.audience,
      typ: 'at+jwt',
      algorithms: [...checks.algorithms],
      clockTolerance: checks.clockToleranceSeconds,
      requiredClaims: ['exp', 'client_id', 'sub', 'jti'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw new AccessTokenError('expired', invalidToken('the access token has expired; refresh it or request a new one', undefined, realm));
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
      throw new AccessTokenError('invalid', invalidToken('the access token is for another resource (aud)', undefined, realm));
    }
    throw new AccessTokenError('invalid', invalidToken('the access token is invalid', undefined, realm));
  }
  try {
    return { principal: principalOfClaims(payload, realm), exp: payload.exp! };
  } catch (err) {
    throw new AccessTokenError('invalid', err as LatchkeyError);
  }
}
