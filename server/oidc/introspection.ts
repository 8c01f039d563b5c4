// RFC 7662 answers any well-formed, authorised question about a token. oidc-provider refuses to
// introspect structured tokens (lib/shared/reject_structured_tokens.js, in lib/actions/introspection.js
// after client authentication) with unsupported_token_type, and every access token we issue is a JWT.
// This middleware replaces that refusal with a normal answer: the token's claims when it verifies
// against our keys, its grant still lives and it is the caller's own, `active: false` otherwise.
// Resource servers get their answers (their resource's tokens, API keys) from introspect-api-keys.ts.
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { OidcModelStore } from '../../adapters/contract.ts';
import { storageKey } from './storage-key.ts';
import { useOn } from './route-gate.ts';

export interface JwtIntrospectionOptions {
  jwks: { keys: JWK[] };
  records: OidcModelStore;
}

/** Checks one of our access tokens: its claims when it verifies and its grant still lives. */
export type AccessTokenVerifier = (token: string) => Promise<JWTPayload | undefined>;

/** Any audience: which tokens a caller may see is the caller's rule (own tokens, or its resource's). */
export function accessTokenVerifier(issuer: string, options: JwtIntrospectionOptions): AccessTokenVerifier {
  // Public parts only: verifying needs nothing else.
  const keySet = createLocalJWKSet({
    keys: options.jwks.keys.map(({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use })),
  });
  return async function verify(token) {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'client_id', 'sub', 'jti', 'aud'],
      }));
    } catch {
      return undefined;
    }
    // A delegated token dies with its grant at once, not at its exp.
    if (payload.grant_id !== undefined) {
      if (typeof payload.grant_id !== 'string') return undefined;
      const grant = await options.records.find('Grant', storageKey('Grant', payload.grant_id));
      if (typeof grant?.exp !== 'number' || grant.exp <= Date.now() / 1000) return undefined;
    }
    return payload;
  };
}

/** The body of an answer about a verified access token. */
export function activeAccessToken(claims: JWTPayload): Record<string, unknown> {
  return { ...claims, active: true, token_type: 'Bearer' };
}

/** oidc-provider refused the token as structured (a JWT), after the client authenticated. */
export function refusedAsStructured(ctx: { status: number; body: unknown }): boolean {
  return ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'unsupported_token_type';
}

export function introspectJwtAccessTokens(provider: Provider, options: JwtIntrospectionOptions): void {
  const verify = accessTokenVerifier(provider.issuer, options);

  async function claimsOf(token: string, clientId: string): Promise<JWTPayload | undefined> {
    const payload = await verify(token);
    // A client introspects only its own tokens, as for opaque ones (configuration.ts, allowedPolicy).
    return payload?.client_id === clientId ? payload : undefined;
  }

  useOn(provider, ['introspection'], async function introspectJwts(ctx, next) {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidc?.route !== 'introspection' || !oidc.client || !refusedAsStructured(ctx)) return;
    const token = oidc.params?.token;
    if (typeof token !== 'string') return;
    const claims = await claimsOf(token, oidc.client.clientId);
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = claims ? activeAccessToken(claims) : { active: false };
  });
}
