// Our routers, reached by the first segment of the path. Mounted one after another, every router
// tests every one of its routes against every request (a /token request tested some two hundred
// patterns before it reached oidc-provider). A router's middleware runs only when one of its routes
// matches, so a router none of whose routes can match a path's first segment is skipped, which
// changes no answer. Routers keep their order; one whose routes start with a parameter or a
// pattern is tried for every path.
import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';

const ANY = '*';

/** The first segments a router's routes can match, lower-cased (paths match regardless of case); ANY when it cannot tell. */
function firstSegmentsOf(router: Router): Set<string> {
  const segments = new Set<string>();
  for (const layer of router.stack) {
    if (layer.methods.length === 0) continue; // router.use(): runs only beside a matching route
    const path = typeof layer.path === 'string' ? layer.path : undefined;
    const first = path === undefined ? undefined : /^\/([^/]*)/.exec(path)?.[1];
    segments.add(first === undefined || /[:*(){}?+\\[\]]/.test(first) ? ANY : first.toLowerCase());
  }
  return segments;
}

/** The path's first segment, lower-cased: '' for '/'. */
function firstSegmentOf(path: string): string {
  const end = path.indexOf('/', 1);
  return (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** Runs `middleware` in order, then `next`. */
function inOrder(middleware: readonly Middleware[]): (ctx: Context, next: Next) => Promise<unknown> {
  return (ctx, next) => {
    const run = (i: number): Promise<unknown> => (i === middleware.length ? next() : Promise.resolve(middleware[i]!(ctx, () => run(i + 1))));
    return run(0);
  };
}

/** The dispatch middleware; like @koa/router's own, it names what it dispatches to (`routers`). */
export function routeByFirstSegment(routers: readonly Router[]): Middleware & { routers: readonly Router[] } {
  // Built again whenever a router gains a route: an embedder may add routes after the app is made.
  let routes = -1;
  let bySegment = new Map<string, (ctx: Context, next: Next) => Promise<unknown>>();
  let elsewhere: (ctx: Context, next: Next) => Promise<unknown> = (_ctx, next) => next();
  const build = () => {
    const found = routers.map((router) => ({ routes: router.routes() as Middleware, segments: firstSegmentsOf(router) }));
    const forSegment = (segment: string) => inOrder(found.filter((r) => r.segments.has(segment) || r.segments.has(ANY)).map((r) => r.routes));
    bySegment = new Map([...new Set(found.flatMap((r) => [...r.segments]))].filter((s) => s !== ANY).map((s) => [s, forSegment(s)]));
    elsewhere = forSegment(ANY);
  };
  const dispatchToRouters = (ctx: Context, next: Next) => {
    let count = 0;
    for (const router of routers) count += router.stack.length;
    if (count !== routes) {
      routes = count;
      build();
    }
    return (bySegment.get(firstSegmentOf(ctx.path)) ?? elsewhere)(ctx, next);
  };
  return Object.assign(dispatchToRouters, { routers });
}
