// The resource-server guard of the built-in Partner API: one middleware for API keys and OAuth
// access tokens alike. It yields one principal (account, environment, scopes, credential) and
// `requireScope` enforces a route's scope. The principal, the RFC 6750 answers, the token checks and
// the scope check are the guard library's (packages/guard), as an operator's API uses them; here
// API keys are looked up in the store in-process, through a per-process cache emptied on any change
// to keys or clients (server/api-keys/key-cache.ts), and verified tokens are cached.
import type { JWK } from 'jose';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import type { LastUsedRecorder } from '../api-keys/last-used.ts';
import { findCachedKeyBySecret } from '../api-keys/by-secret.ts';
import { keyStatus } from '../api-keys/service.ts';
import type { GuardLimits } from '../limits/guard.ts';
import type { Pepper } from '../secrets.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { AccessTokenError, verifyAccessToken, type AccessTokenChecks } from '../../packages/guard/access-token.ts';
import { GuardError } from '../../packages/guard/errors.ts';
import { localKeySet, type KeyResolver } from '../../packages/guard/jws.ts';
import { bearerCredential, checkScope, insufficientScope, invalidToken, isApiKey } from '../../packages/guard/challenges.ts';
import type { ApiKeyCache } from '../api-keys/key-cache.ts';
import type { Principal } from '../http/principal.ts';

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
  /** The process's API-key cache (dependencies.ts, shared with introspection), dropped on every credentials change. */
  keys: ApiKeyCache;
}

export type GuardOutcome = 'ok' | 'invalid' | 'expired' | 'revoked' | 'rate_limited';

/** Refusals that are not plain "invalid", for the onVerified hook. */
const outcomes = new WeakMap<GuardError, GuardOutcome>();
function refusal(outcome: GuardOutcome, err: GuardError): GuardError {
  outcomes.set(err, outcome);
  return err;
}

/** The RFC 6750 answers are the library's; the server's routes import them from here. */
export { insufficientScope, invalidToken };

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
  // Our published keys, imported once per set: a signing-key change replaces options.jwks.keys.
  let published = options.jwks.keys;
  let imported = localKeySet(publicJwks(options.jwks));
  const keySet: KeyResolver = (header) => {
    if (options.jwks.keys !== published) {
      published = options.jwks.keys;
      imported = localKeySet(publicJwks(options.jwks));
    }
    return imported(header);
  };
  // The library's checks (packages/guard/access-token.ts), with our own keys in-process and only
  // the algorithm we sign access tokens with.
  const tokenChecks: AccessTokenChecks = {
    issuer: options.issuer, audience: options.audience, algorithms: ['ES256'], clockToleranceSeconds: 0, maxLifetimeSeconds: LIFETIMES.accessToken,
  };
  const verifiedTokens = new VerifiedTokens();
  const { keys } = options;

  async function fromApiKey(presented: string): Promise<Principal> {
    // Format and checksum first: a random string never reaches the store.
    if (!parseApiKey(presented)) throw invalidToken('the API key is malformed (its checksum does not match)');
    const found = await findCachedKeyBySecret(keys, options.store, options.pepper, presented);
    if (!found) throw invalidToken('the API key is not recognized');
    const key = found.record;
    // Per request, not cached: expiry and the end of a roll's overlap come with time.
    const status = keyStatus(key);
    if (status === 'revoked') throw refusal('revoked', invalidToken('the API key was revoked', key.revokedReason));
    if (status === 'expired') throw refusal('expired', invalidToken('the API key has expired'));
    options.lastUsed.record(key.id);
    return found.principal;
  }

  async function fromAccessToken(token: string): Promise<Principal> {
    const cached = verifiedTokens.get(token, Math.floor(Date.now() / 1000));
    if (cached) return cached;
    let verified;
    try {
      verified = await verifyAccessToken(token, keySet, tokenChecks);
    } catch (err) {
      if (err instanceof AccessTokenError) throw err.failure === 'expired' ? refusal('expired', err.error) : err.error;
      throw err;
    }
    const { credential } = verified.principal;
    const principal: Principal = { ...verified.principal, credential: { ...credential, tokenId: credential.id } };
    verifiedTokens.set(token, principal, verified.exp);
    return principal;
  }

  /** The principal of an Authorization header, or the RFC 6750 error. */
  async function principalOf(header: string): Promise<Principal> {
    const credential = bearerCredential(header);
    return isApiKey(credential) ? fromApiKey(credential) : fromAccessToken(credential);
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
      if (err instanceof GuardError && err.code === 'invalid_token') {
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

  /** Empties the API-key cache (after a change to keys or clients; the change signal calls it too). */
  function invalidateAll(): void {
    keys.invalidateAll();
  }

  return Object.assign(authenticate, { principalOfRequest, invalidateAll });
}

export type Guard = ReturnType<typeof createGuard>;

/** Enforces one scope on a route, after authenticate. */
export function requireScope(scope: string, issuer: string) {
  return function scopeRequired(ctx: Context, next: Next) {
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal) throw new Error('requireScope runs after authenticate');
    checkScope(principal, scope, issuer);
    return next();
  };
}
