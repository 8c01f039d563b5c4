// Every request is about our one public name, ISSUER. oidc-provider builds endpoint URLs, and the
// audiences it accepts in private_key_jwt assertions, from the request's host and scheme, and Koa
// takes both from the first X-Forwarded-Host / X-Forwarded-Proto entry when it trusts a proxy:
// whatever the client sent, since a proxy appends its own entry after it. So, first in the chain
// and on the raw request (oidc-provider reads ctx.req):
//  - the Host header becomes the issuer's host and X-Forwarded-Host is dropped;
//  - X-Forwarded-Proto keeps only its last entry, the one the proxy set (the https check reads it);
//    behind an http issuer it is dropped: the scheme is the connection's, as the issuer's is.
import type { IncomingHttpHeaders } from 'node:http';
import type { Context, Next } from 'koa';

/** The last entry of a comma-separated header (Node joins repeated headers with ", "). */
function lastEntry(value: string | string[]): string {
  return [value].flat().join(',').split(',').at(-1)!.trim();
}

export function pinToIssuer(issuer: string) {
  const { host, protocol } = new URL(issuer);
  const https = protocol === 'https:';

  function pin(headers: IncomingHttpHeaders): void {
    headers.host = host;
    delete headers['x-forwarded-host'];
    const proto = headers['x-forwarded-proto'];
    if (https && proto) headers['x-forwarded-proto'] = lastEntry(proto);
    else delete headers['x-forwarded-proto'];
  }

  return function pinnedToIssuer(ctx: Context, next: Next) {
    pin(ctx.req.headers);
    return next();
  };
}
