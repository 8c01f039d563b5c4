// Introspection (RFC 7662) for resource servers: the operator's APIs, registered as `resource_server`
// clients, ask /token/introspection about the credentials sent to them. A resource server learns about
// access tokens whose `aud` is its resource (whoever they were issued to) and API keys holding scopes
// of its resource (only those scopes are disclosed); about anything else, `{"active": false}` only.
// Other clients get `{"active": false}` for every API key: they are not resource servers.
//
// API keys get the in-process guard's guarantees: looked up by HMAC on every call (a revocation is
// effective on the next call), last use recorded (throttled), and failures (malformed, unknown,
// revoked, expired) limited per source address with the guard's numbers. Past the limit a failure is
// refused with 429 and Retry-After in RFC 6749's JSON (temporarily_unavailable, as for client
// authentication); a key that verifies is always answered.
//
// Runs inside oidc-provider after it authenticated the client: it replaces oidc-provider's answer.
import { decodeProtectedHeader } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { ApiKeyRecord, Store } from '../../adapters/contract.ts';
import { scopesOfResource } from '../../config/scopes.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import { LastUsedRecorder } from '../api-keys/last-used.ts';
import { findCachedKeyBySecret } from '../api-keys/by-secret.ts';
import type { ApiKeyCache } from '../api-keys/key-cache.ts';
import type { ClientCache } from '../cache/clients.ts';
import { keyStatus } from '../api-keys/service.ts';
import { GuardLimits } from '../limits/guard.ts';
import { useOn } from './route-gate.ts';
import type { Logger } from '../log.ts';
import type { Pepper } from '../secrets.ts';
import { accessTokenVerifier, activeAccessToken, refusedAsStructured, type JwtIntrospectionOptions } from './introspection.ts';

export interface ResourceServerIntrospectionOptions extends JwtIntrospectionOptions {
  /** Keys and clients come from the caches below; the store records last uses and moves old-pepper hashes. */
  store: Pick<Store, 'touchApiKey' | 'rehashApiKey'>;
  /** The process's key and client caches (dependencies.ts, shared with the guard and the adapter): a known key reads nothing from the store. */
  keys: ApiKeyCache;
  clients: ClientCache;
  pepper: Pepper;
  log: Logger;
  /** The guard's window (settings.windows.guardWindow): failures per address counted in it. */
  windowSeconds: number;
}

const INACTIVE = { active: false } as const;

/**
 * Decided by shape, not by oidc-provider's status: introspection.ts may already have answered (when
 * it runs inside this middleware) or not (when outside).
 */
function isJwt(token: string): boolean {
  try {
    return Boolean(decodeProtectedHeader(token));
  } catch {
    return false;
  }
}

/** What introspection says of an API key, or why it says nothing. */
type KeyAnswer =
  | { kind: 'active'; body: Record<string, unknown> }
  | { kind: 'failed' }
  | { kind: 'foreign' };

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The answer for a live key: only the scopes of the caller's resource. */
function keyAnswer(key: ApiKeyRecord, resourceScopes: readonly string[], issuer: string): KeyAnswer {
  const scopes = key.scopes.filter((s) => resourceScopes.includes(s));
  if (scopes.length === 0) return { kind: 'foreign' };
  return {
    kind: 'active',
    body: {
      active: true,
      token_type: 'api_key',
      scope: scopes.join(' '),
      account_id: key.accountId,
      env: key.environment,
      key_id: key.id,
      iat: seconds(key.createdAt),
      ...(key.expiresAt ? { exp: seconds(key.expiresAt) } : {}),
      iss: issuer,
    },
  };
}

/** Providers already answering for resource servers: a second call is a no-op. */
const wired = new WeakSet<Provider>();

/**
 * Register after introspectJwtAccessTokens (introspection.ts), so that it runs inside it; it is
 * correct either way, as it decides by the token's shape.
 */
export function introspectForResourceServers(provider: Provider, options: ResourceServerIntrospectionOptions): void {
  if (wired.has(provider)) return;
  wired.add(provider);
  const verify = accessTokenVerifier(provider.issuer, options);
  const lastUsed = new LastUsedRecorder(options.store, options.log);
  const limits = new GuardLimits(options.windowSeconds);

  const { keys, clients } = options;

  /** The caller's resource when it is a resource server. */
  async function resourceOf(clientId: string): Promise<string | undefined> {
    const client = await clients.find(clientId);
    return client?.type === 'resource_server' ? client.resource : undefined;
  }

  async function apiKeyAnswer(token: string, resource: string): Promise<KeyAnswer> {
    // Format and checksum first: a random string never reaches the store.
    if (!parseApiKey(token)) return { kind: 'failed' };
    const key = (await findCachedKeyBySecret(keys, options.store, options.pepper, token, options.log))?.record;
    if (!key) return { kind: 'failed' };
    const status = keyStatus(key);
    if (status === 'revoked' || status === 'expired') return { kind: 'failed' };
    const answer = keyAnswer(key, scopesOfResource(resource, provider.issuer), provider.issuer);
    if (answer.kind === 'active') lastUsed.record(key.id);
    return answer;
  }

  async function answerApiKey(ctx: KoaContextWithOIDC, token: string): Promise<void> {
    const resource = await resourceOf(ctx.oidc.client!.clientId);
    if (!resource) {
      ctx.body = INACTIVE;
      return;
    }
    const answer = await apiKeyAnswer(token, resource);
    if (answer.kind === 'failed') {
      const retryAfter = limits.retryAfter(ctx.ip);
      if (retryAfter !== undefined) {
        ctx.status = 429;
        ctx.set('Retry-After', String(retryAfter));
        ctx.body = {
          error: 'temporarily_unavailable',
          error_description: `too many failed credential checks from this address; retry in ${retryAfter} seconds`,
        };
        return;
      }
      await limits.failed(ctx.ip);
    }
    ctx.status = 200;
    ctx.body = answer.kind === 'active' ? answer.body : INACTIVE;
  }

  /** A JWT oidc-provider refused as structured: a resource server sees its resource's tokens. */
  async function answerAccessToken(ctx: KoaContextWithOIDC, token: string): Promise<boolean> {
    const resource = await resourceOf(ctx.oidc.client!.clientId);
    if (!resource) return false; // introspection.ts answers other clients about their own tokens
    const claims = await verify(token);
    const audiences = typeof claims?.aud === 'string' ? [claims.aud] : (claims?.aud ?? []);
    ctx.status = 200;
    ctx.body = claims && audiences.includes(resource) ? activeAccessToken(claims) : INACTIVE;
    return true;
  }

  useOn(provider, ['introspection'], async function introspectForResourceServer(ctx, next) {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    // oidc.client is set only once the client authenticated; errors before that stay as they are.
    if (oidc?.route !== 'introspection' || !oidc.client) return;
    const token = oidc.params?.token;
    if (typeof token !== 'string') return;
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    if (ctx.status === 200 && token.startsWith('sk_')) {
      await answerApiKey(oidcCtx, token);
      ctx.set('Cache-Control', 'no-store');
    } else if ((refusedAsStructured(ctx) || ctx.status === 200) && isJwt(token) && await answerAccessToken(oidcCtx, token)) {
      ctx.set('Cache-Control', 'no-store');
    }
  });
}
