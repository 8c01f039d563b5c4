// provider.use runs a middleware on every request oidc-provider serves. One that only looks at one
// endpoint's answer still costs every other request its await: a dozen such cost a bare provider
// about 5% of its token requests (docs/performance.md). useOn runs a middleware only on its
// endpoints' paths; any other request passes straight on, with no await of its own.
import type Provider from 'oidc-provider';

type ProviderMiddleware = Parameters<Provider['use']>[0];

/** The paths oidc-provider serves `routes` on (by route name); a route whose feature is off has none. */
export function pathsOf(provider: Provider, routes: readonly string[]): Set<string> {
  return new Set(routes.flatMap((route) => {
    try {
      return [provider.pathFor(route)];
    } catch {
      return [];
    }
  }));
}

/** provider.use, for the requests to these oidc-provider routes only (by route name: 'token', 'introspection', …). */
export function useOn(provider: Provider, routes: readonly string[], middleware: ProviderMiddleware): void {
  const paths = pathsOf(provider, routes);
  if (paths.size === 0) return;
  // oidc-provider's router takes a path with one trailing slash too.
  const served = (path: string) => paths.has(path) || (path.length > 1 && path.endsWith('/') && paths.has(path.slice(0, -1)));
  provider.use(function onItsRoutes(ctx, next) {
    return served(ctx.path) ? (middleware(ctx, next) as Promise<unknown>) : next();
  });
}
