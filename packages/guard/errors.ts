// The guard's own errors and defaults: the package stands alone (it imports nothing of the
// repository), so the four codes it answers, their statuses and messages, and the lifetimes of its
// caches are defined here. Latchkey's catalog (config/errors.ts, config/lifetimes.ts) takes them
// from here, so a resource server using the package and Latchkey's built-in guard answer alike.

/** The codes the guard answers, each with its HTTP status and public message. */
export const GUARD_ERRORS = {
  missing_credential: { status: 401, message: 'Send a credential: Authorization: Bearer <API key or access token>.' },
  invalid_token: { status: 401, message: 'The credential is invalid, expired or revoked.' },
  insufficient_scope: { status: 403, message: 'The credential does not hold the scope this endpoint requires.' },
  store_unavailable: { status: 503, message: 'The data store is unavailable. Retry shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type GuardErrorCode = keyof typeof GUARD_ERRORS;

/** Retry-After on a 503 while the authorization server (or its store) is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** How long the guard's caches keep an answer (docs/protect-your-api.md). */
export const GUARD_LIFETIMES = {
  /**
   * How long an active introspection answer for an API key is reused: the longest a revoked key
   * keeps working at a resource server that uses the library.
   */
  introspectionCache: 10,
  /** The longest a resource server may choose for introspectionCache (5 minutes). */
  introspectionCacheMax: 300,
  /** How long an inactive answer is reused: a burst of one bad key costs one introspection a second. */
  introspectionNegativeCache: 1,
  /** Clock skew tolerated on an access token's exp, nbf and iat. */
  accessTokenClockSkew: 5,
  /**
   * The longest lifetime an access token may claim (Latchkey issues them for 15 minutes): a token
   * claiming more (an exp years out) is refused. A resource server may set another (maxTokenLifetimeSeconds).
   */
  accessTokenMaxLifetime: 3600,
} as const;

export interface GuardErrorOptions {
  /** The input at fault. */
  field?: string;
  /** Extra members of the error body, such as `required_scope`. */
  details?: Record<string, string | boolean | readonly string[]>;
  /** Response headers, such as WWW-Authenticate. */
  headers?: Record<string, string>;
  /** Overrides the docs link (default: this code in docs/errors). */
  docsPath?: string;
  cause?: unknown;
}

/** An answer in Latchkey's documented error body; `code` is a stable string a caller may switch on. */
export class GuardError extends Error {
  /** A GuardErrorCode from the guard; Latchkey's own errors (a subclass) carry its other codes. */
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  readonly details: Record<string, string | boolean | readonly string[]>;
  readonly headers: Record<string, string>;
  readonly docsPath: string;
  constructor(code: string, status: number, message: string, options: GuardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GuardError';
    this.code = code;
    this.status = status;
    this.field = options.field;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
    this.docsPath = options.docsPath ?? `/docs/errors#${code}`;
  }
}

/** One of the guard's own errors, with its status and (unless given) its public message. */
export function guardError(code: GuardErrorCode, message?: string, options?: GuardErrorOptions): GuardError {
  return new GuardError(code, GUARD_ERRORS[code].status, message ?? GUARD_ERRORS[code].message, options);
}
