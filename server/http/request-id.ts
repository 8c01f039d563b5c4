// A request id on every request: the caller's X-Request-Id when it is sane, else a new UUID. It is
// echoed on every response (ours and oidc-provider's, which writes to the same res) and is on every
// log line of the request, through the child logger left in ctx.state.log.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { withFields, type Logger } from '../log.ts';
import { onAnswer } from './answer-steps.ts';

/** Short and plain, so a caller cannot put line breaks, markup or a whole document into our logs. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(log: Logger) {
  return function assignRequestId(ctx: Context, next: Next) {
    const incoming = ctx.get('X-Request-Id');
    const id = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = withFields(log, { request_id: id });
    ctx.set('X-Request-Id', id);
    return next();
  };
}

/** The request's logger (with its id), or `fallback` outside requestId(). */
export function requestLogger(ctx: Context, fallback: Logger): Logger {
  return (ctx.state.log as Logger | undefined) ?? fallback;
}

/**
 * oidc-provider runs its own Koa context on the same req, so its ctx.oidc is out of our reach
 * afterwards; this remembers the client it identified, by req, for the request log.
 */
const oidcClients = new WeakMap<IncomingMessage, string>();

export function rememberOidcClients(provider: Provider): void {
  onAnswer(provider, {
    settled(ctx) {
      const clientId = ctx.oidc?.client?.clientId;
      if (clientId) oidcClients.set(ctx.req, clientId);
    },
  });
}

export function oidcClientOf(req: IncomingMessage): string | undefined {
  return oidcClients.get(req);
}
