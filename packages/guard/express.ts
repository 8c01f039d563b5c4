// Express adapter: `app.use(guard.express())` puts the principal in res.locals.principal;
// `requireScope` guards a route. Errors are answered here, in Latchkey's format.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { guardErrorResponse, guardOf, type GuardCore } from './core.ts';
import type { Principal } from './principal.ts';

function answer(res: Response, core: GuardCore, err: unknown, next: NextFunction): void {
  const response = guardErrorResponse(core, err);
  if (!response) {
    next(err);
    return;
  }
  res.status(response.status).set(response.headers).json(response.body);
}

export function expressAuthenticate(core: GuardCore): RequestHandler {
  return function latchkeyGuard(req: Request, res: Response, next: NextFunction) {
    core.authenticate(req.get('authorization') || undefined).then((principal) => {
      res.locals.principal = principal;
      next();
    }, (err: unknown) => answer(res, core, err, next));
  };
}

/** A route's scope; runs after guard.express(). */
export function requireScope(scope: string): RequestHandler {
  return function scopeRequired(_req: Request, res: Response, next: NextFunction) {
    const principal = res.locals.principal as Principal | undefined;
    const core = guardOf(principal);
    if (!principal || !core) {
      next(new Error('requireScope runs after guard.express()'));
      return;
    }
    try {
      core.checkScopeName(scope);
      core.requireScope(principal, scope);
    } catch (err) {
      answer(res, core, err, next);
      return;
    }
    next();
  };
}

/** Serves the resource's metadata document (RFC 9728) at its well-known path; mount it before guard.express(). */
export function expressResourceMetadata(core: GuardCore): RequestHandler {
  const { path, document } = core.resourceMetadata();
  return function resourceMetadata(req: Request, res: Response, next: NextFunction) {
    if (req.path !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    res.set({ 'Cache-Control': 'public, max-age=3600', 'Access-Control-Allow-Origin': '*' }).json(document);
  };
}
