// Small middleware shared by every route.
import type { Context, Next } from 'koa';
import { ERROR_CODES, LatchkeyError, STORE_RETRY_AFTER_SECONDS } from '../../config/errors.ts';
import { CreatorGoneError, StoreUnavailableError } from '../../adapters/contract.ts';
import { GuardError } from '../../packages/guard/errors.ts';
import { resourceMetadataUrl, withResourceMetadata } from '../../packages/guard/resource-metadata.ts';
import { BUILTIN_RESOURCE, resourceUrl } from '../../config/scopes.ts';
import { redactKeys } from './key-scan.ts';
import type { Principal } from './principal.ts';
import type { Logger } from '../log.ts';
import { renderView } from './views.ts';
import { oidcClientOf, requestLogger } from './request-id.ts';

/**
 * Who the request acted for, when known: the guard's principal (the Partner API, or /v1/api-keys
 * through its manager), the account of a portal session, or the client oidc-provider identified.
 */
function actorFields(ctx: Context): Record<string, string> {
  const manager = ctx.state.manager as { accountId: string; principal?: Principal } | undefined;
  const principal = (ctx.state.principal as Principal | undefined) ?? manager?.principal;
  if (manager && !principal) return { account_id: manager.accountId };
  if (principal) {
    const { credential } = principal;
    return credential.kind === 'api_key'
      ? { account_id: principal.accountId, credential_id: credential.id }
      : { account_id: principal.accountId, client_id: credential.clientId, credential_id: credential.tokenId };
  }
  const clientId = oidcClientOf(ctx.req);
  return clientId ? { client_id: clientId } : {};
}

/**
 * One log line per request, with the request id (request-id.ts) and who it acted for; the path
 * only, never the query string, and no API key in any form (key-scan.ts).
 */
export function requestLog(log: Logger) {
  return async function logRequest(ctx: Context, next: Next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      // The base logger with the id as a field: no child logger made for this one line. Its field
      // names are these and no others (none a secret's), so it skips the redaction pass.
      const id = ctx.state.requestId as string | undefined;
      const fields = { ...(id ? { request_id: id } : {}), method: ctx.method, path: redactKeys(ctx.path), status: ctx.status, ms, ...actorFields(ctx) };
      if (id && log.infoUnredacted) log.infoUnredacted('request', fields);
      else requestLogger(ctx, log).info('request', fields);
    }
  };
}

/** Pages and answers that must never be cached (login, consent, anything per user). */
export function noStore(ctx: Context, next: Next) {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  return next();
}

/** A browser asking for a page (not an API or an OAuth client): errors get a page with a way back. */
export function wantsHtml(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/v1/')) return false;
  return ctx.path.startsWith('/interaction') || ctx.accepts('json', 'html') === 'html';
}

/** An RFC 9110 field name; anything else is a bug in our code and is dropped rather than thrown. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A header value Node will send and any client will parse: visible ASCII. Node throws on CR/LF and
 * on characters beyond Latin-1, and free text (a revocation reason) can hold both. Accents are
 * dropped (é -> e), line breaks and other white space become a space, anything else a "?".
 */
function safeHeaderValue(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?');
}

/** Ours, or the guard library's (the same body; LatchkeyError is one). */
type AnsweredError = GuardError;

function asLatchkeyError(caught: unknown, ctx: Context, log: Logger): AnsweredError {
  if (caught instanceof GuardError) return caught;
  // A creation that raced its creator's revocation: the creator lost, and so does the creation.
  if (caught instanceof CreatorGoneError) return new LatchkeyError('conflict', caught.message);
  if (caught instanceof StoreUnavailableError) {
    log.error('store unavailable', { path: redactKeys(ctx.path), reason: caught.message });
    return new LatchkeyError('store_unavailable');
  }
  log.error('unhandled error', { path: redactKeys(ctx.path), error: (caught as Error)?.stack ?? String(caught) });
  return new LatchkeyError('internal_error');
}

function errorBody(err: AnsweredError, issuer: string) {
  // A scope missing names its page too (the services that throw it do not know the issuer).
  const first = Array.isArray(err.details.missing_scopes) ? err.details.missing_scopes[0] as string | undefined : undefined;
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.field ? { field: err.field } : {}),
      ...err.details,
      ...(err.code === 'insufficient_scope' && first && err.details.scope_docs === undefined ? { scope_docs: `${issuer}/docs/scopes#${first}` } : {}),
      docs_url: `${issuer}${err.docsPath}`,
    },
  };
}

/** Where an error page's "way back" leads: the portal for its own pages, else the home page. */
function backLink(ctx: Context): { href: string; label: string } {
  if (ctx.path.startsWith('/portal')) return { href: '/portal', label: 'Back to the portal' };
  if (ctx.path.startsWith('/docs')) return { href: '/docs', label: 'Back to the docs' };
  return { href: '/', label: 'Go to the home page' };
}

async function renderError(ctx: Context, err: AnsweredError, issuer: string, log: Logger): Promise<void> {
  if (err.code === 'store_unavailable') ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
  for (const [name, value] of Object.entries(err.headers)) {
    // Our own APIs are the built-in resource: a refused client learns where to ask (RFC 9728).
    const named = name.toLowerCase() === 'www-authenticate' ? withResourceMetadata(value, resourceMetadataUrl(resourceUrl(BUILTIN_RESOURCE, issuer))) : value;
    if (HEADER_NAME.test(name)) ctx.set(name, safeHeaderValue(named));
    else log.error('error header with an invalid name dropped', { path: redactKeys(ctx.path), error_code: err.code });
  }
  ctx.set('Cache-Control', 'no-store');
  if (wantsHtml(ctx)) {
    // An unknown page is not "something went wrong": it gets its own page, with the ways on. A
    // missing object (a key, an app) keeps its own message, on the error page.
    if (err.code === 'not_found' && err.message === ERROR_CODES.not_found.message) await renderView(ctx, 'not-found', { path: ctx.path }, err.status);
    else await renderView(ctx, 'error', { message: err.message, code: err.code, back: backLink(ctx) }, err.status);
    return;
  }
  ctx.status = err.status;
  ctx.body = errorBody(err, issuer);
}

/**
 * Errors of our own routes, in our documented body (config/errors.ts), or as a page for browsers.
 * Unexpected errors are logged with their stack and answered without it. This handler never
 * throws: if rendering an error fails, the answer is a plain internal_error in JSON.
 */
export function errorHandler(baseLog: Logger, issuer: string) {
  return async function handleErrors(ctx: Context, next: Next) {
    const log = requestLogger(ctx, baseLog);
    try {
      await next();
      if (ctx.respond !== false && ctx.status === 404 && ctx.body === undefined) throw new LatchkeyError('not_found');
    } catch (caught) {
      try {
        await renderError(ctx, asLatchkeyError(caught, ctx, log), issuer, log);
      } catch (failure) {
        log.error('rendering an error failed', { path: redactKeys(ctx.path), error: (failure as Error)?.stack ?? String(failure) });
        if (ctx.headerSent) return;
        ctx.status = 500;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = errorBody(new LatchkeyError('internal_error'), issuer);
        ctx.type = 'application/json';
      }
    }
  };
}
