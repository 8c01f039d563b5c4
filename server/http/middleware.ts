// Small middleware shared by every route.
import type { Context, Next } from 'koa';
import { LatchkeyError, STORE_RETRY_AFTER_SECONDS } from '../../config/errors.ts';
import { StoreUnavailableError } from '../../adapters/contract.ts';
import { API_KEY_IN_TEXT } from '../api-keys/format.ts';
import type { Logger } from '../log.ts';
import { renderView } from '../interactions/render.ts';

/** One log line per request; the path only, never the query string, and no API key even in the path. */
export function requestLog(log: Logger) {
  return async function logRequest(ctx: Context, next: Next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log.info('request', { method: ctx.method, path: ctx.path.replace(API_KEY_IN_TEXT, 'sk_[redacted]'), status: ctx.status, ms });
    }
  };
}

/** Headers every response gets, whoever renders it. */
export async function baselineHeaders(ctx: Context, next: Next) {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  await next();
}

/** Pages and answers that must never be cached (login, consent, anything per user). */
export async function noStore(ctx: Context, next: Next) {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  await next();
}

function wantsHtml(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/v1/')) return false;
  return ctx.path.startsWith('/interaction') || ctx.accepts('json', 'html') === 'html';
}

/**
 * Errors of our own routes, in our documented body (config/errors.ts), or as a page for browsers.
 * Unexpected errors are logged with their stack and answered without it.
 */
export function errorHandler(log: Logger, issuer: string) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.respond !== false && ctx.status === 404 && ctx.body === undefined) throw new LatchkeyError('not_found');
    } catch (caught) {
      let err: LatchkeyError;
      if (caught instanceof LatchkeyError) {
        err = caught;
      } else if (caught instanceof StoreUnavailableError) {
        err = new LatchkeyError('store_unavailable');
        log.error('store unavailable', { path: ctx.path, reason: caught.message });
      } else {
        err = new LatchkeyError('internal_error');
        log.error('unhandled error', { path: ctx.path, error: (caught as Error)?.stack ?? String(caught) });
      }
      if (err.code === 'store_unavailable') ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      if (wantsHtml(ctx)) {
        await renderView(ctx, 'error', { message: err.message, code: err.code }, err.status);
        return;
      }
      ctx.status = err.status;
      ctx.body = {
        error: {
          code: err.code,
          message: err.message,
          ...(err.field ? { field: err.field } : {}),
          ...err.details,
          docs_url: `${issuer}${err.docsPath}`,
        },
      };
    }
  };
}
