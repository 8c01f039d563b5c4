// RFC 6749 error_uri on every error oidc-provider answers: a link to the code's entry in the error
// catalog (docs/errors.md, generated from config/errors.ts), as our own errors carry docs_url.
import type Provider from 'oidc-provider';
import { onAnswer } from '../http/answer-steps.ts';

/** Where a code's catalog entry lives: `/docs/errors#<code>` (the anchor is the code). */
export function errorUri(issuer: string, code: string): string {
  return `${issuer}/docs/errors#${encodeURIComponent(code)}`;
}

/** RFC 6749 limits error codes to these characters; anything else is not a code we link. */
const CODE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

interface ErrorBody {
  error?: unknown;
  error_uri?: unknown;
}

/** A JSON error body (token, introspection, revocation, PAR): add error_uri unless already set. */
function linkJsonError(body: ErrorBody, issuer: string): void {
  if (typeof body.error === 'string' && CODE.test(body.error) && body.error_uri === undefined) {
    body.error_uri = errorUri(issuer, body.error);
  }
}

/**
 * An error redirected to the client (response_mode query or fragment): oidc-provider builds the
 * parameters without a hook, so the Location is rewritten after it. A redirect to the client's
 * redirect_uri carries `iss`, which tells it apart from oidc-provider's internal redirects.
 */
function linkRedirectError(location: string, issuer: string): string | undefined {
  if (!URL.canParse(location)) return undefined;
  const url = new URL(location);
  const inFragment = url.hash.includes('error=');
  const params = inFragment ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
  const code = params.get('error');
  if (!code || !CODE.test(code) || params.has('code') || params.has('error_uri') || params.get('iss') !== issuer) return undefined;
  params.set('error_uri', errorUri(issuer, code));
  if (inFragment) url.hash = params.toString();
  return url.href;
}

export function linkErrorsToCatalog(provider: Provider): void {
  const { issuer } = provider;
  onAnswer(provider, {
    answered(ctx) {
      if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body)) {
        linkJsonError(ctx.body, issuer);
      } else if (ctx.status >= 300 && ctx.status < 400) {
        const location = ctx.response.get('Location');
        const linked = location ? linkRedirectError(location, issuer) : undefined;
        if (linked) ctx.redirect(linked);
      }
    },
  });
}
