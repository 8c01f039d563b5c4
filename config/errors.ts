// Every error code Latchkey answers, in one place (data only):
// - ERROR_CODES: our own routes' codes (everything outside the OAuth endpoints), each with its HTTP
//   status and public message. The body is always
//     {"error": {"code": "...", "message": "...", "field"?: "...", "docs_url": "..."}}
// - ERROR_CATALOG: what each code means for an integrator, our own codes and the RFC 6749 family
//   codes the OAuth endpoints answer ({"error": "...", "error_description": "...", "error_uri": "..."}
//   or error=… on a redirect), one entry per code. docs/errors.md is generated from both.

export const ERROR_CODES = {
  invalid_request: { status: 400, message: 'The request is malformed.' },
  validation_failed: { status: 400, message: 'A field has an invalid value.' },
  missing_credential: { status: 401, message: 'Send a credential: Authorization: Bearer <API key or access token>.' },
  invalid_token: { status: 401, message: 'The credential is invalid, expired or revoked.' },
  invalid_signature: { status: 401, message: 'The request signature is missing, made with an unknown key, or does not verify.' },
  insufficient_scope: { status: 403, message: 'The credential does not hold the scope this endpoint requires.' },
  credential_in_url: { status: 400, message: 'Credentials belong in the Authorization header, never in a URL.' },
  https_required: { status: 400, message: 'This server answers only over https. Use the https address; a proxy in front must send X-Forwarded-Proto: https.' },
  forbidden: { status: 403, message: 'This credential may not do that.' },
  conflict: { status: 409, message: 'The object is not in a state that allows this.' },
  limit_reached: { status: 409, message: 'The account has reached a limit; remove something before adding more.' },
  csrf_failed: { status: 403, message: 'The form expired or did not come from this site. Reload the page and try again.' },
  interaction_expired: { status: 400, message: 'This sign-in page has expired. Go back to the app and start again.' },
  not_found: { status: 404, message: 'Nothing here.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this path.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body has an unsupported content type.' },
  rate_limited: { status: 429, message: 'Too many failed attempts from this address. Retry after the number of seconds in Retry-After.' },
  internal_error: { status: 500, message: 'Something went wrong on our side. It has been logged.' },
  store_unavailable: { status: 503, message: 'The data store is unavailable. Retry shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Retry-After on a 503 while the store is unreachable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export interface LatchkeyErrorOptions {
  /** The input at fault. */
  field?: string;
  /** Extra members of the error body, such as `required_scope`. */
  details?: Record<string, string | boolean>;
  /** Response headers, such as WWW-Authenticate. */
  headers?: Record<string, string>;
  /** Overrides the docs link (default: this code in docs/errors). */
  docsPath?: string;
  cause?: unknown;
}

export class LatchkeyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly details: Record<string, string | boolean>;
  readonly headers: Record<string, string>;
  readonly docsPath: string;
  constructor(code: ErrorCode, message?: string, options: LatchkeyErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LatchkeyError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.field = options.field;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
    this.docsPath = options.docsPath ?? `/docs/errors#${code}`;
  }
}
