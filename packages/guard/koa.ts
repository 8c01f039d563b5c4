// Koa adapter: `app.use(guard.koa())` puts the principal in ctx.state.principal; `requireScope`
// guards a route. Errors are answered here, in Latchkey's format, whatever the app's error handler.
import type { Context, Middleware, Next } from 'koa';
import { guardErrorResponse, guardOf, type GuardCore } from './core.ts';
import type { Principal } from './principal.ts';

function answer(ctx: Context, core: GuardCore, err: unknown): void {
  const response = guardErrorResponse(core, err);
  if (!response) throw err;
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

export function koaAuthenticate(core: GuardCore): Middleware {
  return async function latchkeyGuard(ctx: Context, next: Next) {
    let principal: Principal;
    try {
      principal = await core.authenticate(ctx.get('authorization') || undefined);
    } catch (err) {
      answer(ctx, core, err);
      return;
    }
    ctx.state.principal = principal;
    await next();
  };
}

/** A route's scope; runs after guard.koa(). */
export function requireScope(scope: string): Middleware {
  return async function scopeRequired(ctx: Context, next: Next) {
    const principal = ctx.state.principal as Principal | undefined;
    const core = guardOf(principal);
    if (!principal || !core) throw new Error('requireScope runs after guard.koa()');
    core.checkScopeName(scope);
    try {
      core.requireScope(principal, scope);
    } catch (err) {
      answer(ctx, core, err);
      return;
    }
    await next();
  };
}

/** Serves the resource's metadata document (RFC 9728) at its well-known path; mount it before guard.koa(). */
export function koaResourceMetadata(core: GuardCore): Middleware {
  const { path, document } = core.resourceMetadata();
  return async function resourceMetadata(ctx: Context, next: Next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = document;
  };
}
