// The resource-server guard: one middleware for API keys and OAuth access tokens alike. It yields
// one principal (account, environment, scopes, credential) and `requireScope` enforces a route's
// scope. Errors follow RFC 6750: 401 with WWW-Authenticate (error="invalid_token" when a credential
// was sent), 403 insufficient_scope naming the scope.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { parseScopeList } from '../../config/scopes.ts';
import { parseApiKey } from '../api-keys/format.ts';
import type { LastUsedRecorder } from '../api-keys/last-used.ts';
import { keyStatus } from '../api-keys/service.ts';
import type { GuardLimits } from '../limits/guard.ts';
import type { Pepper } from '../secrets.ts';
import type { Principal } from './principal.ts';

export interface GuardOptions {
  issuer: string;
  /** The JWT `aud` we accept: the Partner API resource. */
  audience: string;
  /** Our signing keys (private parts are dropped here). */
  jwks: { keys: JWK[] };
  store: Store;
  pepper: Pepper;
  lastUsed: LastUsedRecorder;
  /** Failed checks per address (server/limits/guard.ts). */
  limits: GuardLimits;
  /** Called once per credential checked (metrics); never for a request that sent none. */
  onVerified?: (credential: 'api_key' | 'jwt', outcome: GuardOutcome) => void;
}

export type GuardOutcome = 'ok' | 'invalid' | 'expired' | 'revoked' | 'rate_limited';

/** Refusals that are not plain "invalid", for the onVerified hook. */
const outcomes = new WeakMap<LatchkeyError, GuardOutcome>();
function refusal(outcome: GuardOutcome, err: LatchkeyError): LatchkeyError {
  outcomes.set(err, outcome);
  return err;
}

const REALM = 'realm="latchkey"';

function quoted(value: string): string {
  return value.replace(/["\\]/g, '');
}

/**
 * 401 invalid_token. `description` goes into WWW-Authenticate and must be our own fixed words;
 * `detail` (free text such as a revocation reason) goes only into the JSON body, never a header.
 */
export function invalidToken(description: string, detail?: string): LatchkeyError {
  return new LatchkeyError('invalid_token', detail ? `${description}: ${detail}` : description, {
    headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="${quoted(description)}"` },
  });
}

function publicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return {
    keys: jwks.keys.map(({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use })),
  };
}

/**
 * Verified access tokens, by their exact text, until they expire. ES256 verification is the
 * costliest step of a request; a token is typically presented many times within its 15 minutes.
 * JWTs cannot be revoked anyway, so caching the verdict changes nothing a client could observe.
 */
class VerifiedTokens {
  static readonly MAX_ENTRIES = 10_000;
  readonly #entries = new Map<string, { principal: Principal; exp: number }>();

  get(token: string, nowSeconds: number): Principal | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.exp <= nowSeconds) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  set(token: string, principal: Principal, exp: number): void {
    if (this.#entries.size >= VerifiedTokens.MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest.
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(token, { principal, exp });
  }
}

export function createGuard(options: GuardOptions) {
  const keySet = createLocalJWKSet(publicJwks(options.jwks));
  const verifiedTokens = new VerifiedTokens();

  async function fromApiKey(presented: string): Promise<Principal> {
    // Format and checksum first: a random string never reaches the store.
    if (!parseApiKey(presented)) throw invalidToken('the API key is malformed (its checksum does not match)');
    const key = await options.store.findApiKeyByHash(options.pepper.hash(presented));
    if (!key) throw invalidToken('the API key is not recognized');
    const status = keyStatus(key);
    if (status === 'revoked') throw refusal('revoked', invalidToken('the API key was revoked', key.revokedReason));
    if (status === 'expired') throw refusal('expired', invalidToken('the API key has expired'));
    options.lastUsed.record(key.id);
    return {
      accountId: key.accountId,
      environment: key.environment,
      scopes: new Set(key.scopes),
      credential: { kind: 'api_key', id: key.id },
    };
  }

  async function fromAccessToken(token: string): Promise<Principal> {
    const cached = verifiedTokens.get(token, Math.floor(Date.now() / 1000));
    if (cached) return cached;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'client_id', 'sub', 'jti'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw refusal('expired', invalidToken('the access token has expired; refresh it or request a new one'));
      throw invalidToken('the access token is invalid');
    }
    const { account_id: accountId, env } = payload;
    if (typeof accountId !== 'string' || (env !== 'test' && env !== 'live')) throw invalidToken('the access token carries no account');
    const principal: Principal = {
      accountId,
      environment: env,
      scopes: new Set(parseScopeList(typeof payload.scope === 'string' ? payload.scope : undefined)),
      credential: {
        kind: 'access_token', clientId: String(payload.client_id), subject: payload.sub!, tokenId: payload.jti!,
        grantId: typeof payload.grant_id === 'string' ? payload.grant_id : undefined,
      },
    };
    verifiedTokens.set(token, principal, payload.exp!);
    return principal;
  }

  /** The principal of an Authorization header, or the RFC 6750 error. */
  async function principalOf(header: string): Promise<Principal> {
    if (!header) {
      throw new LatchkeyError('missing_credential', undefined, { headers: { 'WWW-Authenticate': `Bearer ${REALM}` } });
    }
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (!match) throw invalidToken('send the credential as "Authorization: Bearer <API key or access token>"');
    const credential = match[1]!;
    return credential.startsWith('sk_') ? fromApiKey(credential) : fromAccessToken(credential);
  }

  /**
   * The request's principal. Failed checks are limited per address: past the limit a failure
   * answers 429, but a credential that verifies always passes (a key has 256 bits; guessing is not
   * the threat, and a neighbour behind the same address must not lock a valid integration out).
   */
  async function principalOfRequest(ctx: Context): Promise<Principal> {
    const header = ctx.get('authorization');
    const credential = /^Bearer sk_/i.test(header) ? 'api_key' : 'jwt';
    try {
      const principal = await principalOf(header);
      options.onVerified?.(credential, 'ok');
      return principal;
    } catch (err) {
      if (err instanceof LatchkeyError && err.code === 'invalid_token') {
        try {
          options.limits.check(ctx.ip);
        } catch (limited) {
          options.onVerified?.(credential, 'rate_limited');
          throw limited;
        }
        options.onVerified?.(credential, outcomes.get(err) ?? 'invalid');
        await options.limits.failed(ctx.ip);
      }
      throw err;
    }
  }

  /** Authenticates the request; sets ctx.state.principal. */
  async function authenticate(ctx: Context, next: Next) {
    ctx.state.principal = await principalOfRequest(ctx);
    await next();
  }

  return Object.assign(authenticate, { principalOfRequest });
}

export type Guard = ReturnType<typeof createGuard>;

/** 403 naming the missing scope: in words, in WWW-Authenticate, and with a link to its docs. */
export function insufficientScope(scope: string, issuer: string): LatchkeyError {
  return new LatchkeyError('insufficient_scope', `this endpoint requires the ${scope} scope`, {
    details: { required_scope: scope, scope_docs: `${issuer}/docs/scopes#${scope}` },
    headers: {
      'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${scope}", `
        + `error_description="this endpoint requires the ${scope} scope"`,
    },
    docsPath: `/docs/scopes#${scope}`,
  });
}

/** Enforces one scope on a route, after authenticate. */
export function requireScope(scope: string, issuer: string) {
  return async function scopeRequired(ctx: Context, next: Next) {
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal) throw new Error('requireScope runs after authenticate');
    if (!principal.scopes.has(scope)) throw insufficientScope(scope, issuer);
    await next();
  };
}
