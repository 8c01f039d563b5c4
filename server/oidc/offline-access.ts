// oidc-provider strips offline_access from an authorization request unless it carries
// prompt=consent (OpenID Connect Core 11). Our rule instead: the consent page asks for
// offline_access the first time, the grant remembers the answer, and later requests are not forced
// through the consent page again. So the scope the client asked for is restored after that check.
import { decodeJwt } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { parseScopeList } from '../../config/scopes.ts';

const AUTHORIZATION_ROUTES = new Set(['authorization', 'pushed_authorization_request']);

/** The scope exactly as the client sent it, before oidc-provider edited the parameters. */
export function scopeAsRequested(ctx: KoaContextWithOIDC): string | undefined {
  const { oidc } = ctx;
  if (!AUTHORIZATION_ROUTES.has(oidc.route)) return oidc.params?.scope as string | undefined;
  const pushed = oidc.entities.PushedAuthorizationRequest as { request?: string } | undefined;
  if (pushed?.request) return decodeJwt(pushed.request).scope as string | undefined;
  const source = (ctx.method === 'POST' ? oidc.body : ctx.query);
  return typeof source?.scope === 'string' ? source.scope : oidc.params?.scope as string | undefined;
}

/** Puts offline_access back into the request's scope when the client asked for it. */
export function restoreOfflineAccess(ctx: KoaContextWithOIDC, requested: string | undefined): void {
  const { params, client } = ctx.oidc;
  if (!params || !client?.grantTypeAllowed('refresh_token')) return;
  if (!parseScopeList(requested).includes('offline_access')) return;
  const current = parseScopeList(params.scope as string | undefined);
  if (!current.includes('offline_access')) params.scope = [...current, 'offline_access'].join(' ');
}
