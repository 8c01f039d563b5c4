// The Koa application: the middleware every request passes, in order, then our routers, then the
// unknown-path answers, then oidc-provider for everything else (in RFC 6749's format).
import Koa from 'koa';
import type Provider from 'oidc-provider';
import type { SwappableProvider } from './provider-swap.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { refuseCredentialsInUrl } from '../guard/url-credentials.ts';
import { pinToIssuer } from '../http/forwarded.ts';
import { errorHandler, requestLog, wantsHtml } from '../http/middleware.ts';
import { requestId } from '../http/request-id.ts';
import { requireHttps, securityHeaders } from '../http/security-headers.ts';
import { metricsRoute } from '../metrics/endpoint.ts';
import { timeRequests } from '../metrics/instrument.ts';
import { pathsOf } from '../oidc/route-gate.ts';
import type { Dependencies } from './dependencies.ts';
import { routeByFirstSegment } from './router-dispatch.ts';
import type { MountedRouters } from './routers.ts';

/** oidc-provider's own paths, answered in its format whatever the client accepts. */
const OAUTH_ROUTE_NAMES = ['authorization', 'token', 'jwks', 'introspection', 'revocation', 'pushed_authorization_request',
  'registration', 'userinfo', 'end_session', 'device_authorization', 'code_verification', 'backchannel_authentication', 'challenge', 'credential'];

/** Under /api/ and /v1/: a path no router has is a JSON 404, a path with other methods a 405. */
function unknownApiPath(api: MountedRouters['api']) {
  return function answerUnknownApiPath(ctx: Koa.Context, next: Koa.Next) {
    if (!ctx.path.startsWith('/api/') && !ctx.path.startsWith('/v1/')) return next();
    const pathExists = api.some((router) => router.match(ctx.path, ctx.method).path.some((layer) => layer.methods.length > 0));
    throw new LatchkeyError(pathExists ? 'method_not_allowed' : 'not_found');
  };
}

/** A browser asking for a page nobody serves gets our 404 page; OAuth paths and other clients go on. */
function unknownPage(provider: Provider) {
  const oauthPaths = [...pathsOf(provider, OAUTH_ROUTE_NAMES), '/.well-known'];
  return function answerUnknownPage(ctx: Koa.Context, next: Koa.Next) {
    const oauthPath = oauthPaths.some((path) => ctx.path === path || ctx.path.startsWith(`${path}/`));
    if (!oauthPath && (ctx.method === 'GET' || ctx.method === 'HEAD') && wantsHtml(ctx)) throw new LatchkeyError('not_found');
    return next();
  };
}

export function createKoaApp(d: Dependencies, swappable: SwappableProvider, routers: MountedRouters): Koa {
  const { settings, log, store, keys, metrics } = d;
  const app = new Koa();
  app.proxy = settings.trustProxy;
  app.maxIpsCount = 1;
  app.silent = true;

  // A middleware that only passes a request on returns next() rather than awaiting it: an await in
  // each layer costs every request a little (docs/performance.md).
  app.use(timeRequests(metrics));
  // Host and scheme come from ISSUER (and the proxy's own X-Forwarded-Proto), never from the client.
  app.use(pinToIssuer(settings.issuer));
  app.use(requestId(log));
  app.use(requestLog(log));
  app.use(securityHeaders(settings.issuer));
  app.use(errorHandler(log, settings.issuer));
  // A key seen in a URL is revoked even when it came over plain http; then only https gets further.
  app.use(refuseCredentialsInUrl(store, keys.pepper, log));
  app.use(requireHttps(settings.issuer));
  app.use(metricsRoute(metrics, settings));
  app.use(routeByFirstSegment(routers.all));
  app.use(unknownApiPath(routers.api));
  app.use(unknownPage(swappable.provider));
  // Everything else is an OAuth endpoint: oidc-provider answers in RFC 6749's format.
  app.use(function oauthEndpoints(ctx) {
    ctx.respond = false;
    return swappable.handle(ctx.req, ctx.res);
  });
  return app;
}
