// Resource indicators (RFC 8707): which API a token is for, which is also its JWT `aud`. One audience
// per token: a request names its `resource`, or gets the single resource its API scopes belong to.
import { errors } from 'oidc-provider';
import { BUILTIN_RESOURCE, findResource, parseScopeList, resourceOfScope, resourceUrl } from '../../config/scopes.ts';
import { named } from './scope-policy.ts';

/** The built-in API's indicator (`$ISSUER/api`): the Partner API and Latchkey's management API. */
export function apiResource(issuer: string): string {
  return resourceUrl(BUILTIN_RESOURCE, issuer);
}

/** error_description for a `resource` we do not serve; the value sent is not echoed (RFC 6749 5.2). */
export function unknownResource(issuer: string): string {
  return `unknown resource; the resources and their scopes are listed at ${issuer}/docs/scopes`;
}

/** The `resource` parameter as a list (oidc-provider gives a string, an array or nothing). */
export function indicatorsOf(value: unknown): unknown[] {
  return value === undefined ? [] : ([] as unknown[]).concat(value);
}

/**
 * Refuses indicators we do not serve and more than one distinct resource in one request (each token
 * has one audience); returns the one named, if any.
 */
export function oneKnownIndicator(value: unknown, issuer: string): string | undefined {
  const indicators = [...new Set(indicatorsOf(value))];
  if (indicators.some((indicator) => typeof indicator !== 'string' || !findResource(indicator, issuer))) {
    throw new errors.InvalidTarget(unknownResource(issuer));
  }
  if (indicators.length > 1) {
    throw new errors.InvalidTarget('only one resource per request: each access token is for one resource (one audience); '
      + 'ask for each resource in its own request');
  }
  return indicators[0] as string | undefined;
}

/** The resources (absolute) the requested API scopes belong to, each with its scopes. */
function resourcesOfScopes(scopes: readonly string[], issuer: string): Map<string, string[]> {
  const byResource = new Map<string, string[]>();
  for (const scope of scopes) {
    const resource = resourceOfScope(scope, issuer);
    if (resource) byResource.set(resource, [...(byResource.get(resource) ?? []), scope]);
  }
  return byResource;
}

/**
 * Without `resource`: the single resource the requested API scopes belong to (the built-in API when
 * they name none). Scopes of several resources are refused with invalid_target (RFC 8707 2: the
 * resource is missing for a request that needs one), naming them.
 */
export function resourceForScopes(scope: string | undefined, issuer: string): string {
  const scopes = parseScopeList(scope);
  const byResource = resourcesOfScopes(scopes, issuer);
  if (byResource.size > 1) {
    const groups = [...byResource.values()].map((names) => names.map(named).join(' '));
    throw new errors.InvalidTarget(`the scopes ${groups.join(' and ')} belong to different resources; an access token is for one `
      + 'resource: send resource=<its URL> with the scopes of that resource, one request per resource');
  }
  return [...byResource.keys()][0] ?? apiResource(issuer);
}

/** With `resource`: every requested API scope must be that resource's. */
export function assertScopesOfResource(scope: string | undefined, resource: string, issuer: string): void {
  for (const name of parseScopeList(scope)) {
    const owner = resourceOfScope(name, issuer);
    if (owner && owner !== resource) {
      throw new errors.InvalidScope(`scope ${named(name)} belongs to another resource (${owner}), not the one requested; `
        + 'ask for it in a separate request with that resource', name);
    }
  }
}
