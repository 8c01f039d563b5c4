// Every error code Latchkey answers, in one place (data only):
// - ERROR_CODES: our own routes' codes (everything outside the OAuth endpoints), each with its HTTP
//   status and public message. The body is always
//     {"error": {"code": "...", "message": "...", "field"?: "...", "docs_url": "..."}}
// - ERROR_CATALOG: what each code means for an integrator, our own codes and the RFC 6749 family
//   codes the OAuth endpoints answer ({"error": "...", "error_description": "...", "error_uri": "..."}
//   or error=… on a redirect), one entry per code. docs/errors.md is generated from both.
// The guard library's four codes are its own (packages/guard/errors.ts, which stands alone); they
// are taken from there, not typed twice.
import { GUARD_ERRORS, GuardError, RETRY_AFTER_SECONDS, type GuardErrorOptions } from '../packages/guard/errors.ts';

export const ERROR_CODES = {
  invalid_request: { status: 400, message: 'The request is malformed.' },
  validation_failed: { status: 400, message: 'A field has an invalid value.' },
  missing_credential: GUARD_ERRORS.missing_credential,
  invalid_token: GUARD_ERRORS.invalid_token,
  invalid_signature: { status: 401, message: 'The request signature is missing, made with an unknown key, or does not verify.' },
  insufficient_scope: GUARD_ERRORS.insufficient_scope,
  credential_in_url: { status: 400, message: 'Credentials belong in the Authorization header, never in a URL.' },
  https_required: { status: 400, message: 'This server answers only over https. Use the https address; a proxy in front must send X-Forwarded-Proto: https.' },
  forbidden: { status: 403, message: 'This credential may not do that.' },
  email_unverified: { status: 403, message: 'Confirm your email address first: until then the account can use test credentials only.' },
  step_up_required: { status: 403, message: 'Sign in again to do this: it needs a sign-in from the last few minutes.' },
  two_factor_required: { status: 403, message: 'Your organisation requires two-factor authentication: set it up in the portal first.' },
  conflict: { status: 409, message: 'The object is not in a state that allows this.' },
  limit_reached: { status: 409, message: 'The account has reached a limit; remove something before adding more.' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is still running. Retry after it has answered.' },
  idempotency_key_reused: { status: 422, message: 'This Idempotency-Key was used with another request. Use a new key for a new request.' },
  csrf_failed: { status: 403, message: 'The form expired or did not come from this site. Reload the page and try again.' },
  interaction_expired: { status: 400, message: 'This sign-in page has expired. Go back to the app and start again.' },
  not_found: { status: 404, message: 'Nothing here.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this path.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body has an unsupported content type.' },
  rate_limited: { status: 429, message: 'Too many failed attempts from this address. Retry after the number of seconds in Retry-After.' },
  internal_error: { status: 500, message: 'Something went wrong on our side. It has been logged.' },
  store_unavailable: GUARD_ERRORS.store_unavailable,
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Retry-After on a 503 while the store is unreachable. */
export const STORE_RETRY_AFTER_SECONDS = RETRY_AFTER_SECONDS;

export type LatchkeyErrorOptions = GuardErrorOptions;

/** An error of our own routes; its status and default message come from ERROR_CODES. */
export class LatchkeyError extends GuardError {
  declare readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string, options: LatchkeyErrorOptions = {}) {
    super(code, ERROR_CODES[code].status, message ?? ERROR_CODES[code].message, options);
    this.name = 'LatchkeyError';
  }
}

/**
 * Input that breaks a rule of the domain (a name too long, a redirect URI not allowed), named by
 * its field. Services throw it; each surface shows it in its own form (a field error on a page, a
 * validation_failed body in the API, a message in the CLI).
 */
export class ValidationError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ValidationError';
    this.field = field;
  }
}
