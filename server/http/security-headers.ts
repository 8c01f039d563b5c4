// Transport security for every response: https only behind an https issuer, HSTS, never framed, a
// Content-Security-Policy everywhere, and no caching of token responses. Our HTML pages replace the
// CSP with their own (server/http/views.ts).
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import helmet from 'koa-helmet';
import { LatchkeyError } from '../../config/errors.ts';

const HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600;

/** Load balancer probes speak plain http to the instance itself. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

// oidc-provider's default routes (routes.authorization and routes.token in its configuration).
const AUTHORIZATION_PATH = '/auth';
const TOKEN_PATH = '/token';

/**
 * The CSP of portal pages (server/portal/context.ts showPage): as every page of ours, plus scripts
 * from our own origin (static/copy.js, the copy button) and forms that post only to us. Still no
 * inline script or handler.
 */
export const PORTAL_PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
  + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * The authorization endpoint (and its /auth/<uid> resume) may answer with oidc-provider's form_post
 * page, whose auto-submit script must run: oidc-provider adds that script's hash to an existing
 * script-src, and only then. Everywhere else no script runs at all.
 */
function scriptSource(req: IncomingMessage): string {
  const path = (req.url ?? '').split('?')[0]!;
  return under(path, AUTHORIZATION_PATH) ? "'self'" : "'none'";
}

export function securityHeaders(issuer: string) {
  const https = issuer.startsWith('https:');
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      // No form-action: the form_post page posts to the client's redirect URI.
      directives: { defaultSrc: ["'none'"], scriptSrc: [scriptSource], baseUri: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
    // A client may open the login page in a popup and watch it; same-origin would cut that link.
    crossOriginOpenerPolicy: false,
  });

  return async function setSecurityHeaders(ctx: Context, next: Next) {
    // RFC 6749 section 5.1: token responses are never cached, by HTTP/1.0 caches either.
    if (under(ctx.path, TOKEN_PATH)) {
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Pragma', 'no-cache');
    }
    await headers(ctx, next);
  };
}

/**
 * Behind an https issuer, a request that did not come over https is refused before anything (a
 * cookie above all) is sent. Latchkey never terminates TLS: with TRUST_PROXY=true the proxy's
 * X-Forwarded-Proto says how the request came; without it no request counts as https.
 */
export function requireHttps(issuer: string) {
  const https = issuer.startsWith('https:');
  return async function refusePlainHttp(ctx: Context, next: Next) {
    if (https && !ctx.secure && !PROBE_PATHS.has(ctx.path)) throw new LatchkeyError('https_required');
    await next();
  };
}
