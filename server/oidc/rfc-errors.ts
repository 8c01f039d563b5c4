// oidc-provider answers a few errors with codes RFC 6749 (5.2) and RFC 9126 do not use, and lets
// client input and double quotes into error_description, which RFC 6749 restricts to printable
// ASCII without `"` and `\`. These listeners and the middleware put the answers back in the RFCs'
// terms. (The cleaner fix would be inside oidc-provider: see each comment for the file.)
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { onAnswer } from '../http/answer-steps.ts';

interface ErrorBody {
  error?: string;
  error_description?: string;
}

/** RFC 6749 5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
const OUTSIDE_DESCRIPTION_CHARSET = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

export function sanitiseDescription(description: string): string {
  return description.replace(/"/g, '\'').replace(OUTSIDE_DESCRIPTION_CHARSET, '');
}

/**
 * lib/shared/client_auth.js throws invalid_request (400) when no client_id is sent anywhere or the
 * Basic header is malformed; RFC 6749 5.2 calls a failed client authentication invalid_client (401).
 */
const MISSING_CLIENT_AUTHENTICATION = new Set([
  'no client authentication mechanism provided',
  'invalid authorization header value format',
  'client_id and client_secret in the authorization header are not properly encoded',
  'client_secret must be provided in the Authorization header',
]);

/** lib/actions/token.js (allowedGrantTypeCheck) throws invalid_request; RFC 6749 5.2 says unauthorized_client. */
const GRANT_TYPE_NOT_ALLOWED = 'requested grant type is not allowed for this client';

function remapError(ctx: KoaContextWithOIDC): void {
  const body = ctx.body as ErrorBody | undefined;
  if (!body || typeof body !== 'object' || typeof body.error !== 'string') return;
  const description = body.error_description ?? '';

  if (body.error === 'invalid_request' && description === GRANT_TYPE_NOT_ALLOWED) {
    body.error = 'unauthorized_client';
  } else if (body.error === 'invalid_request' && !ctx.oidc.client && MISSING_CLIENT_AUTHENTICATION.has(description)) {
    // Not counted by server/limits/client-auth.ts: without a client_id the failure names no
    // client, and that limiter refuses only where it looks a client up.
    ctx.status = 401;
    body.error = 'invalid_client';
    body.error_description = `client authentication failed: ${description}`;
    // oidc-provider adds this challenge only to errors thrown as 401 (client_auth.js, setWWWAuthenticateHeader).
    // Every 401 carries one (RFC 7235 3.1); the error attributes only after a Basic attempt (RFC 6749 5.2).
    const realm = `Basic realm="${ctx.oidc.provider.issuer}"`;
    ctx.set('WWW-Authenticate', ctx.headers.authorization === undefined ? realm
      : `${realm}, error="invalid_client", error_description="${sanitiseDescription(body.error_description)}"`);
  } else if (body.error === 'request_uri_not_supported' && ctx.oidc.route === 'pushed_authorization_request') {
    // RFC 9126 2.1: request_uri must not be pushed; its errors are RFC 6749's, which has no
    // request_uri_not_supported (an OpenID Connect code, from lib/actions/authorization/pushed_authorization_requests.js).
    body.error = 'invalid_request';
    body.error_description = 'request_uri must not be sent to the pushed authorization request endpoint';
  }
}

/** Every OAuth error we emit, JSON or in a redirect, carries an error_description RFC 6749 allows. */
function sanitiseDescriptions(provider: Provider): void {
  onAnswer(provider, {
    answered(ctx) {
      const body = ctx.body as ErrorBody | undefined;
      if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.error_description === 'string') {
        body.error_description = sanitiseDescription(body.error_description);
      }
      const location = ctx.response.get('Location');
      if (location && location.includes('error_description=')) ctx.set('Location', sanitiseLocation(location));
    },
  });
}

/** An authorization error redirect (query or fragment response mode). */
function sanitiseLocation(location: string): string {
  if (!URL.canParse(location)) return location;
  const url = new URL(location);
  const before = url.href;
  for (const params of [url.searchParams, new URLSearchParams(url.hash.slice(1))]) {
    const description = params.get('error_description');
    if (description === null) continue;
    params.set('error_description', sanitiseDescription(description));
    if (params !== url.searchParams) url.hash = params.toString();
  }
  // Rewrite only what needed it.
  return url.href === before ? location : url.href;
}

export function rfcErrors(provider: Provider): void {
  sanitiseDescriptions(provider);
  provider.on('grant.error', remapError);
  provider.on('introspection.error', remapError);
  provider.on('revocation.error', remapError);
  provider.on('pushed_authorization_request.error', remapError);
}
