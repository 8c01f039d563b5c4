// Transport security for every response: https only behind an https issuer, HSTS, never framed, a
// Content-Security-Policy everywhere, and no caching of token responses. Our HTML pages replace the
// CSP with their own (server/http/views.ts).
//
// helmet decides the headers. They depend on nothing in the request but whether its path is under
// the authorization endpoint, so helmet runs once for each of the two at boot and each response gets
// the recorded headers, rather than helmet's fourteen middleware running on every request (the
// largest share of our middleware's cost in the experiment in docs/performance.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Context, Next } from 'koa';
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

/** What a helmet middleware does to a response: headers set, and headers removed. */
interface HeaderSet {
  readonly set: readonly (readonly [string, string])[];
  readonly removed: readonly string[];
}

/** Runs helmet with `options` once, on a stand-in request, and records what it did. */
function recordHeaders(options: Parameters<typeof helmet>[0]): HeaderSet {
  const set = new Map<string, string>();
  const removed = new Set<string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.set(name, String(value));
      removed.delete(name);
    },
    removeHeader(name: string) {
      set.delete(name);
      removed.add(name);
    },
  };
  // helmet checks static options when it is made (and throws); its middleware then only sets headers.
  helmet(options)({ url: '/', method: 'GET', headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return { set: [...set], removed: [...removed] };
}

export function securityHeaders(issuer: string) {
  const https = issuer.startsWith('https:');
  const headersWith = (scriptSrc: string) => recordHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      // No form-action: the form_post page posts to the client's redirect URI.
      directives: { defaultSrc: ["'none'"], scriptSrc: [scriptSrc], baseUri: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
    // A client may open the login page in a popup and watch it; same-origin would cut that link.
    crossOriginOpenerPolicy: false,
  });
  // The authorization endpoint (and its /auth/<uid> resume) may answer with oidc-provider's
  // form_post page, whose auto-submit script must run: oidc-provider adds that script's hash to an
  // existing script-src, and only then. Everywhere else no script runs at all.
  const authorization = headersWith("'self'");
  const elsewhere = headersWith("'none'");

  return function setSecurityHeaders(ctx: Context, next: Next) {
    // RFC 6749 section 5.1: token responses are never cached, by HTTP/1.0 caches either.
    if (under(ctx.path, TOKEN_PATH)) {
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Pragma', 'no-cache');
    }
    const { set, removed } = under(ctx.path, AUTHORIZATION_PATH) ? authorization : elsewhere;
    for (const [name, value] of set) ctx.res.setHeader(name, value);
    for (const name of removed) ctx.res.removeHeader(name);
    return next();
  };
}

/**
 * Behind an https issuer, a request that did not come over https is refused before anything (a
 * cookie above all) is sent. Latchkey never terminates TLS: with TRUST_PROXY=true the proxy's
 * X-Forwarded-Proto says how the request came; without it no request counts as https.
 */
export function requireHttps(issuer: string) {
  const https = issuer.startsWith('https:');
  return function refusePlainHttp(ctx: Context, next: Next) {
    if (https && !ctx.secure && !PROBE_PATHS.has(ctx.path)) throw new LatchkeyError('https_required');
    return next();
  };
}
