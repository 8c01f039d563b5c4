// oidc-provider spends an authorization code or a refresh token before it resolves `resource` (and
// our scope rule), so a request refused for a parameter would leave the code or token spent, and the
// corrected retry would look like a replay and revoke the grant. Everything that depends on the
// request's parameters is checked here first, from the adapter's consume().
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { scopeAsRequested } from './offline-access.ts';
import { assertScopesOfResource, indicatorsOf, oneKnownIndicator, resourceForScopes } from './resource.ts';
import { assertScopesAllowed } from './scope-policy.ts';

export function refuseBeforeConsume(ctx: KoaContextWithOIDC | undefined): void {
  if (ctx?.oidc?.route !== 'token' || !ctx.oidc.client) return;
  const { params, client, provider } = ctx.oidc;
  const named = oneKnownIndicator(params?.resource, provider.issuer);
  // A code or refresh request without `scope` means "what was granted"; one with `scope` must name
  // scopes the client may still hold, of one resource (the one named, if any).
  if (params?.scope === undefined) return;
  const requested = scopeAsRequested(ctx);
  assertScopesAllowed(requested, client, `${provider.issuer}/docs/scopes`, false);
  if (named) assertScopesOfResource(requested, named, provider.issuer);
  else resourceForScopes(requested, provider.issuer);
}

/**
 * A code or refresh token is for the resource it was granted: one naming another known resource would
 * be refused by oidc-provider only after it spent the code or token. `granted` is the stored payload.
 */
export function refuseUngrantedResource(ctx: KoaContextWithOIDC | undefined, granted: { resource?: unknown } | undefined): void {
  if (ctx?.oidc?.route !== 'token' || !ctx.oidc.client || !granted) return;
  const named = oneKnownIndicator(ctx.oidc.params?.resource, ctx.oidc.provider.issuer);
  if (named === undefined || granted.resource === undefined) return;
  if (!indicatorsOf(granted.resource).includes(named)) {
    throw new errors.InvalidTarget('the resource named is not the one this grant is for; omit resource to use the granted one');
  }
}
