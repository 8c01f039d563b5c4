// oidc-provider spends an authorization code or a refresh token before it resolves `resource` (and
// our scope rule), so a request refused for a parameter would leave the code or token spent, and the
// corrected retry would look like a replay and revoke the grant. Everything that depends on the
// request's parameters is checked here first, from the adapter's consume().
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { scopeAsRequested } from './offline-access.ts';
import { apiResource, unknownResource } from './resource.ts';
import { assertScopesAllowed } from './scope-policy.ts';

export function refuseBeforeConsume(ctx: KoaContextWithOIDC | undefined): void {
  if (ctx?.oidc?.route !== 'token' || !ctx.oidc.client) return;
  const { params, client, provider } = ctx.oidc;
  const resource = apiResource(provider.issuer);
  const indicators = ([] as unknown[]).concat(params?.resource ?? []);
  if (indicators.some((indicator) => indicator !== resource)) throw new errors.InvalidTarget(unknownResource(resource));
  // A code or refresh request without `scope` means "what was granted"; one with `scope` must name
  // scopes the client may still hold.
  if (params?.scope !== undefined) assertScopesAllowed(scopeAsRequested(ctx), client, `${provider.issuer}/docs/scopes`, false);
}
