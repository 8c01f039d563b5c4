// Token and session lifetimes in seconds: the single source of truth (see docs/tokens.md).
import { GUARD_LIFETIMES } from '../packages/guard/errors.ts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const LIFETIMES = {
  /** Authorization code: single use. */
  authorizationCode: 60,
  /** Every access token, whatever the flow. JWTs cannot be revoked, so they stay short. */
  accessToken: 15 * MINUTE,
  /** A refresh token, counted from its own issue; each use rotates it and the new one gets this again. */
  refreshToken: 30 * DAY,
  /** The whole refresh family (the grant), absolute; then the user consents again. */
  grant: 365 * DAY,
  /** Login session cookie. */
  session: 14 * DAY,
  /** Login and consent pages. */
  interaction: HOUR,
  /** ID token. */
  idToken: 15 * MINUTE,
  /** Pushed authorization request (RFC 9126 suggests a short life). */
  pushedAuthorizationRequest: 60,
  /** Longest a private_key_jwt client assertion may be valid for (exp - iat): it proves one request. */
  clientAssertion: 5 * MINUTE,
  /** Longest overlap a rolled API key may keep working. */
  apiKeyMaxOverlap: 7 * DAY,
  /** Longest overlap a rotated client secret may keep working. */
  clientSecretMaxOverlap: 7 * DAY,
  /** How long a new key or secret waits, encrypted, for the one page that shows it after a redirect. */
  secretReveal: 10 * MINUTE,
  /** The longest wait between sign-in attempts for one email from one address (the waits double up to this). */
  loginLockout: 15 * MINUTE,
  /** Failed sign-ins are counted in windows this long (per address, per email, per email and address). */
  signInWindow: HOUR,
  /**
   * How long an address (IPv6: its /64) is remembered after a successful sign-in for an email:
   * from there, that email is exempt from the per-email ceiling. Each success starts it again.
   */
  knownSignInAddress: 30 * DAY,
  /** Failed client authentications at the token endpoints are counted in windows this long. */
  clientAuthWindow: MINUTE,
  /** Failed API-key and access-token checks at the resource-server guard are counted in windows this long. */
  guardWindow: MINUTE,
  /** A repeat of one refresh inside this window gets the identical answer (idempotent refresh). */
  refreshRetryWindow: 30,
  /**
   * How long an expired refresh token or grant is still kept, so that a late refresh is told it
   * expired rather than "not found". Revoked ones leave a tombstone until their own expiry instead.
   */
  expiredTokenMemory: 7 * DAY,
  /** A mailed link that confirms an email address: single use. */
  emailVerificationLink: DAY,
  /** A mailed password-reset link: single use. */
  passwordResetLink: 30 * MINUTE,
  /** An initial access token for dynamic client registration (LATCHKEY_REGISTRATION=token); it registers any number of clients until then. */
  initialAccessToken: DAY,
  /** An openly registered client (LATCHKEY_REGISTRATION=open) no user ever authorized is deleted this long after it registered. */
  unusedRegistration: DAY,
  /** How long an Idempotency-Key's answer is kept and replayed (Stripe's 24 hours). */
  idempotencyKey: DAY,
  /**
   * How long a fetched client ID metadata document is used before it is fetched again: its
   * Cache-Control max-age, but at least the first and at most the second value.
   */
  metadataDocumentCacheMin: 5 * MINUTE,
  metadataDocumentCacheMax: HOUR,
  /** An invitation to join an account: single use; it can be sent again, which starts the time anew. */
  invitation: 7 * DAY,
  /** A sensitive change (a live key or secret, deleting an app, email, password, two-factor) needs a sign-in this recent. */
  stepUp: 10 * MINUTE,
} as const;

export type LifetimeName = keyof typeof LIFETIMES;

/**
 * The guard library (packages/guard) on an operator's own resource server. Kept apart from LIFETIMES:
 * these bound a cache in another process, not an artifact Latchkey issues (docs/protect-your-api.md).
 * Defined in the package itself (packages/guard/errors.ts), which stands alone.
 */
export const RESOURCE_SERVER_LIFETIMES = GUARD_LIFETIMES;

/**
 * Time windows an operator may change through the environment (config/settings.ts reads and checks
 * them; the default is the LIFETIMES entry). Tests start servers with short values the same way.
 */
export const WINDOW_SETTINGS = {
  loginLockout: { variable: 'LATCHKEY_LOGIN_LOCKOUT', min: 1, max: DAY },
  signInWindow: { variable: 'LATCHKEY_SIGN_IN_WINDOW', min: 1, max: DAY },
  clientAuthWindow: { variable: 'LATCHKEY_CLIENT_AUTH_WINDOW', min: 1, max: HOUR },
  guardWindow: { variable: 'LATCHKEY_GUARD_WINDOW', min: 1, max: HOUR },
  refreshRetryWindow: { variable: 'LATCHKEY_REFRESH_RETRY_WINDOW', min: 0, max: 5 * MINUTE },
} as const satisfies Partial<Record<LifetimeName, { variable: string; min: number; max: number }>>;

export type WindowName = keyof typeof WINDOW_SETTINGS;

/** Prints a lifetime for people: "15 minutes", "30 days". */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [[DAY, 'day'], [HOUR, 'hour'], [MINUTE, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (seconds % size === 0 && seconds >= size) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** Signing-key rollover (docs/operations.md, "Rotating the signing keys"). Kept out of LIFETIMES, whose every key the docs label. */
export const SIGNING_KEYS = {
  /** How long the guard library (jose's remote JWKS) keeps a fetched JWKS before fetching it again. */
  guardJwksCacheSeconds: 10 * MINUTE,
  /** `signing-keys rotate`'s default delay before a new key signs: the guard's cache, plus a margin. */
  activateAfterSeconds: 15 * MINUTE,
  /** Added to the longest token lifetime before a replaced key leaves the JWKS: clock skew, tokens in flight. */
  retireMarginSeconds: MINUTE,
  /** How often each instance reads the store's signing keys: a rotation made elsewhere is live within this. */
  pollSeconds: 5,
} as const;

/** Stopping (docs/operations.md, "Shutdown"). Kept out of LIFETIMES, whose every key the docs label. */
export const SHUTDOWN = {
  /** LATCHKEY_SHUTDOWN_DRAIN's default in production: /readyz answers 503 this long before the server stops accepting. */
  drainSeconds: 10,
  maxDrainSeconds: 5 * MINUTE,
  /** Then requests in flight get this long to finish before their connections are cut. */
  graceMs: 10_000,
} as const;

/**
 * Webhook delivery defaults, in milliseconds (each an operator setting: config/settings.ts). Kept out
 * of LIFETIMES, whose every key the docs label. The retry schedule is the wait before each retry:
 * eight attempts over about 23.6 hours.
 */
export const WEBHOOK_DELIVERY = {
  /** LATCHKEY_WEBHOOK_POLL: how often each instance looks for due deliveries. */
  poll: 1000,
  /** LATCHKEY_WEBHOOK_RETRY_SCHEDULE: the waits before retries 1, 2, …; after the last, the delivery fails. */
  retrySchedule: [5_000, 5 * MINUTE * 1000, 30 * MINUTE * 1000, 2 * HOUR * 1000, 5 * HOUR * 1000, 8 * HOUR * 1000, 8 * HOUR * 1000],
  /** LATCHKEY_WEBHOOK_DISABLE_AFTER: a webhook with no successful delivery for this long since its first failure is disabled. */
  disableAfter: 3 * DAY * 1000,
  /** LATCHKEY_WEBHOOK_TIMEOUT: one attempt (connect, send, response headers) gets this long. */
  timeout: 10_000,
  /** LATCHKEY_WEBHOOK_LEASE: a claimed delivery is another instance's to take after this; longer than the timeout. */
  lease: 60_000,
  /** Deliveries claimed per poll, and sent at once. */
  batch: 50,
  concurrency: 10,
  /** Events fanned out into deliveries per poll. */
  fanOut: 100,
} as const;

/**
 * Mail delivery from the outbox, in milliseconds (server/mail/worker.ts). A mail is retried after
 * each wait of the schedule (about 9 hours in all), then fails for good and is logged.
 */
export const MAIL_DELIVERY = {
  /** How often each instance looks for due mails (a change on this instance also wakes it at once). */
  poll: 1000,
  retrySchedule: [10_000, MINUTE * 1000, 10 * MINUTE * 1000, 30 * MINUTE * 1000, 2 * HOUR * 1000, 6 * HOUR * 1000],
  /** A claimed mail is another instance's to take after this; longer than one SMTP conversation. */
  leaseSeconds: 60,
  batch: 10,
} as const;
