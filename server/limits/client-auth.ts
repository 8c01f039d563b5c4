// Failed client authentication where clients authenticate (/token, /token/introspection,
// /token/revocation, /request), limited per address and per (client_id, address), never per client
// alone: a client's right secret from another address is never refused for failures elsewhere.
// The counters live in the store, so every instance counts together. oidc-provider authenticates
// inside its own middleware: failures come from its error events, and the refusal happens where it
// looks the client up (after it has read the client_id, wherever it was sent, and before it checks
// the credential), from the in-memory view only.
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { LIMITS } from '../../config/limits.ts';
import type { Logger } from '../log.ts';
import { addressKey, limitKey, type Charge, type FailureLimiter } from './failures.ts';

const AUTHENTICATED_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request']);

/**
 * RFC 6749 has no error code for this. temporarily_unavailable (as for a store outage), with 429
 * and Retry-After, says "not now, come back later" without claiming the credential is wrong.
 */
class TooManyFailures extends errors.OIDCProviderError {
  constructor(retryAfter: number) {
    super(429, 'temporarily_unavailable');
    this.error_description = `too many failed client authentications from this address; retry in ${retryAfter} seconds`;
  }
}

export function limitClientAuthentication(provider: Provider, limiter: FailureLimiter, windowSeconds: number, log: Logger): void {
  const charges = (ip: string, clientId: string): Charge[] => {
    const address = addressKey(ip);
    return [
      { key: limitKey('client-auth:source', address), limit: LIMITS.clientAuthSourceMaxFailures, windowSeconds },
      { key: limitKey('client-auth:client', clientId, address), limit: LIMITS.clientAuthMaxFailures, windowSeconds },
    ];
  };
  /** Per request: the client_id it authenticates as, and whether that failed. */
  const attempts = new WeakMap<object, { clientId: string; failed: boolean }>();

  const find = provider.Client.find.bind(provider.Client);
  provider.Client.find = async function findUnlessLimited(id: string) {
    const ctx = Provider.ctx;
    // Only the first look-up of a request is client authentication's (introspection, say, looks
    // up the token's client later).
    if (ctx && AUTHENTICATED_ROUTES.has(ctx.oidc.route) && !attempts.has(ctx)) {
      attempts.set(ctx, { clientId: String(id), failed: false });
      const retryAfter = limiter.refusing ? limiter.retryAfter(charges(ctx.ip, String(id)).map((charge) => charge.key)) : undefined;
      if (retryAfter !== undefined) {
        ctx.set('Retry-After', String(retryAfter));
        throw new TooManyFailures(retryAfter);
      }
    }
    return find(id);
  };

  const noteFailure = (ctx: KoaContextWithOIDC, err: { error?: string }) => {
    const attempt = attempts.get(ctx);
    if (attempt && err.error === 'invalid_client') attempt.failed = true;
  };
  provider.on('grant.error', noteFailure);
  provider.on('introspection.error', noteFailure);
  provider.on('revocation.error', noteFailure);
  provider.on('pushed_authorization_request.error', noteFailure);

  // Counted before the answer goes out, so the client's next request already sees it.
  provider.use(async function countFailedClientAuthentication(ctx, next) {
    await next();
    const attempt = attempts.get(ctx);
    if (!attempt?.failed) return;
    try {
      await limiter.recordFailure(charges(ctx.ip, attempt.clientId));
    } catch (err) {
      log.warn('could not count a failed client authentication', { reason: (err as Error).message });
    }
  });
}
