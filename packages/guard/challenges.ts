// RFC 6750 answers, shared by the built-in guard (rendered by the server's error handler) and the
// library's Koa and Express middleware (rendered by errorResponse): 401 with a bare challenge when
// no credential was sent, 401 invalid_token when one was sent and is bad, 403 insufficient_scope
// naming the scope. Bodies are Latchkey's documented format (errors.ts).
import { guardError, type GuardError } from './errors.ts';
import type { Principal } from './principal.ts';
import { withResourceMetadata } from './resource-metadata.ts';

export const DEFAULT_REALM = 'latchkey';

function challenge(realm: string, parameters = ''): string {
  return `Bearer realm="${quoted(realm)}"${parameters}`;
}

function quoted(value: string): string {
  return value.replace(/["\\]/g, '');
}

/** 401 without error: the request sent no credential (RFC 6750 section 3.1). */
export function missingCredential(realm = DEFAULT_REALM): GuardError {
  return guardError('missing_credential', undefined, { headers: { 'WWW-Authenticate': challenge(realm) } });
}

/**
 * 401 invalid_token. `description` goes into WWW-Authenticate and must be our own fixed words;
 * `detail` (free text such as a revocation reason) goes only into the JSON body, never a header.
 */
export function invalidToken(description: string, detail?: string, realm = DEFAULT_REALM): GuardError {
  return guardError('invalid_token', detail ? `${description}: ${detail}` : description, {
    headers: { 'WWW-Authenticate': challenge(realm, `, error="invalid_token", error_description="${quoted(description)}"`) },
  });
}

/** 403 naming the missing scope: in words, in WWW-Authenticate, and with a link to its docs. */
/**
 * 403 insufficient_scope, one body whatever was missing (a route's scope, or scopes a credential
 * would grant beyond its own): `missing_scopes` (an array), `required_scope` (the first), the scope's
 * page in `scope_docs`; `docs_url` is the error's entry, as on every error.
 */
export function insufficientScopes(missing: readonly string[], issuer: string, message: string, realm = DEFAULT_REALM): GuardError {
  const first = missing[0] ?? '';
  return guardError('insufficient_scope', message, {
    details: { required_scope: first, missing_scopes: [...missing], scope_docs: `${issuer}/docs/scopes#${first}` },
    headers: {
      'WWW-Authenticate': challenge(realm, `, error="insufficient_scope", scope="${quoted(missing.join(' '))}", `
        + `error_description="${quoted(message)}"`),
    },
  });
}

export function insufficientScope(scope: string, issuer: string, realm = DEFAULT_REALM): GuardError {
  return insufficientScopes([scope], issuer, `this endpoint requires the ${scope} scope`, realm);
}

/** Throws 403 unless the principal holds the scope. */
export function checkScope(principal: Principal, scope: string, issuer: string, realm = DEFAULT_REALM): void {
  if (!principal.scopes.has(scope)) throw insufficientScope(scope, issuer, realm);
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The credential of an Authorization header; the RFC 6750 error when there is none or it is malformed. */
export function bearerCredential(header: string | undefined, realm = DEFAULT_REALM): string {
  if (!header) throw missingCredential(realm);
  const match = BEARER.exec(header);
  if (!match) throw invalidToken('send the credential as "Authorization: Bearer <API key or access token>"', undefined, realm);
  return match[1]!;
}

export function isApiKey(credential: string): boolean {
  return credential.startsWith('sk_');
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: Record<string, string | boolean> };
}

/**
 * A header value Node will send and any client will parse: visible ASCII (as the server's error
 * handler does; our descriptions are fixed words, this only guards against a future mistake).
 */
function safeHeaderValue(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/gu, '?');
}

/**
 * The response for a GuardError, exactly as Latchkey's own error handler renders it; with
 * `resourceMetadata`, its challenge names the resource's metadata document (RFC 9728).
 */
export function errorResponse(err: GuardError, issuer: string, resourceMetadata?: string): ErrorResponse {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  for (const [name, value] of Object.entries(err.headers)) {
    const named = resourceMetadata && name.toLowerCase() === 'www-authenticate' ? withResourceMetadata(value, resourceMetadata) : value;
    headers[name] = safeHeaderValue(named);
  }
  return {
    status: err.status,
    headers,
    body: {
      error: {
        code: err.code,
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
        ...err.details,
        docs_url: `${issuer}${err.docsPath}`,
      },
    },
  };
}
