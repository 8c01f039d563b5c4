// RFC 7662 answers any well-formed, authorised question about a token. oidc-provider refuses to
// introspect structured tokens (lib/shared/reject_structured_tokens.js, in lib/actions/introspection.js
// after client authentication) with unsupported_token_type, and every access token we issue is a JWT.
// This middleware replaces that refusal with a normal answer: the token's claims when it verifies
// against our keys and its grant still lives, `active: false` otherwise.
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { OidcModelStore } from '../../adapters/contract.ts';
import { storageKey } from './adapter.ts';
import { apiResource } from './resource.ts';

export interface JwtIntrospectionOptions {
  jwks: { keys: JWK[] };
  records: OidcModelStore;
}

export function introspectJwtAccessTokens(provider: Provider, options: JwtIntrospectionOptions): void {
  // Public parts only: verifying needs nothing else.
  const keySet = createLocalJWKSet({
    keys: options.jwks.keys.map(({ kty, crv, x, y, n, e, kid, alg, use }) => ({ kty, crv, x, y, n, e, kid, alg, use })),
  });

  async function claimsOf(token: string, clientId: string): Promise<JWTPayload | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: provider.issuer,
        audience: apiResource(provider.issuer),
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'client_id', 'sub', 'jti'],
      }));
    } catch {
      return undefined;
    }
    // A client introspects only its own tokens, as for opaque ones (configuration.ts, allowedPolicy).
    if (payload.client_id !== clientId) return undefined;
    // A delegated token dies with its grant at once, not at its exp.
    if (payload.grant_id !== undefined) {
      if (typeof payload.grant_id !== 'string') return undefined;
      const grant = await options.records.find('Grant', storageKey('Grant', payload.grant_id));
      if (typeof grant?.exp !== 'number' || grant.exp <= Date.now() / 1000) return undefined;
    }
    return payload;
  }

  provider.use(async function introspectJwts(ctx, next) {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    const body = ctx.body as { error?: string } | undefined;
    // unsupported_token_type is thrown only after the client authenticated.
    if (oidc?.route !== 'introspection' || !oidc.client || ctx.status !== 400 || body?.error !== 'unsupported_token_type') return;
    const token = oidc.params?.token;
    if (typeof token !== 'string') return;
    const claims = await claimsOf(token, oidc.client.clientId);
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = claims ? { ...claims, active: true, token_type: 'Bearer' } : { active: false };
  });
}
