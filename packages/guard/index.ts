// latchkey/guard: protect an operator's own API with Latchkey credentials (docs/protect-your-api.md).
//   const guard = createGuard({ issuer, resource, introspection: { clientId, clientSecret } });
//   Koa:     app.use(guard.koa());     router.get('/orders', requireScope('read:orders'), …)  (latchkey/guard/koa)
//   Express: app.use(guard.express()); app.get('/orders', requireScope('read:orders'), …)     (latchkey/guard/express)
import { createGuardCore, type GuardOptions } from './core.ts';
import { expressAuthenticate, expressResourceMetadata } from './express.ts';
import { koaAuthenticate, koaResourceMetadata } from './koa.ts';

// Middleware signatures written out, so this entry point's types need neither Koa's nor Express's
// (they are optional peers: only `@latchkey/guard/koa` and `/express` name them). The context is
// `unknown` so that `app.use` leaves the app's own context type as it was.
/** A Koa middleware, as `app.use` takes it. */
export type KoaMiddleware = (ctx: unknown, next: () => Promise<unknown>) => Promise<void>;
/** An Express middleware, as `app.use` takes it. */
export type ExpressMiddleware = (req: unknown, res: unknown, next: (err?: unknown) => void) => void;

export function createGuard(options: GuardOptions) {
  const core = createGuardCore(options);
  return {
    ...core,
    /** Koa middleware: sets ctx.state.principal, or answers 401. */
    koa: () => koaAuthenticate(core) as KoaMiddleware,
    /** Express middleware: sets res.locals.principal, or answers 401. */
    express: () => expressAuthenticate(core) as ExpressMiddleware,
    /** Koa middleware serving this API's protected resource metadata (RFC 9728); mount it before koa(). */
    koaMetadata: () => koaResourceMetadata(core) as KoaMiddleware,
    /** Express middleware serving this API's protected resource metadata (RFC 9728); mount it before express(). */
    expressMetadata: () => expressResourceMetadata(core) as ExpressMiddleware,
  };
}

export type Guard = ReturnType<typeof createGuard>;
export type { GuardOptions } from './core.ts';
export type { AccessTokenCredential, ApiKeyCredential, Credential, Environment, Principal } from './principal.ts';
export { ACCESS_TOKEN_ALGORITHMS } from './access-token.ts';
export { errorResponse, type ErrorResponse } from './challenges.ts';
export { protectedResourceMetadata, resourceMetadataPath, resourceMetadataUrl, withResourceMetadata } from './resource-metadata.ts';
export { GUARD_ERRORS, GUARD_LIFETIMES, GuardError, type GuardErrorCode } from './errors.ts';
