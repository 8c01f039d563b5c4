// Between the password and the second factor: a sign-in whose password was right, for a user with
// two-factor on, waits here until a code is given (portal and authorization server alike). The
// browser holds a random id in a cookie; the store keeps its SHA-256 with the user, for a few minutes
// and a few attempts. Nothing is signed in until the code is right.
import { hash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { OidcModelStore, Store, User } from '../../adapters/contract.ts';
import type { Pepper } from '../secrets.ts';
import { originOf, recordFailedSignIn, recordSignIn, userEvent } from './account-events.ts';
import { tooManySignIns } from './service.ts';
import type { PortalSessions } from './sessions.ts';
import type { SignInLimits } from './sign-in-limits.ts';
import { checkSecondFactor } from './two-factor.ts';

const MODEL = 'PendingSignIn';
const COOKIE = 'latchkey_second_factor';
/** How long the code form waits. */
const LIFETIME_SECONDS = 5 * 60;
/** Wrong codes before the password must be given again (the sign-in limits count each one as well). */
export const CODE_ATTEMPTS = 5;

const digest = (id: string) => hash('sha256', id, 'base64url');

export interface PendingSignIn {
  readonly userId: string;
  readonly email: string;
  /** Where it started: `portal`, or the authorization server's interaction (`interaction:<uid>`). */
  readonly purpose: string;
  readonly attempts: number;
}

export class PendingSignIns {
  readonly #records: OidcModelStore;
  readonly #sessions: PortalSessions;
  readonly #cookie: string;

  constructor(records: OidcModelStore, sessions: PortalSessions) {
    this.#records = records;
    this.#sessions = sessions;
    this.#cookie = sessions.cookieName(COOKIE);
  }

  async start(ctx: Context, pending: Omit<PendingSignIn, 'attempts'>): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.#records.upsert(MODEL, digest(id), { ...pending, attempts: 0 }, LIFETIME_SECONDS);
    ctx.cookies.set(this.#cookie, id, { ...this.#sessions.cookieOptions(), maxAge: LIFETIME_SECONDS * 1000 });
  }

  /** The pending sign-in of this browser for `purpose`, if any. */
  async current(ctx: Context, purpose: string): Promise<PendingSignIn | undefined> {
    const id = ctx.cookies.get(this.#cookie);
    if (!id || id.length > 100) return undefined;
    const found = await this.#records.find(MODEL, digest(id));
    if (!found || found.purpose !== purpose || typeof found.userId !== 'string') return undefined;
    return { userId: found.userId, email: String(found.email), purpose, attempts: Number(found.attempts ?? 0) };
  }

  /** A wrong code: counted; after CODE_ATTEMPTS the pending sign-in ends. Returns whether it still waits. */
  async failed(ctx: Context, pending: PendingSignIn): Promise<boolean> {
    const id = ctx.cookies.get(this.#cookie);
    if (!id) return false;
    if (pending.attempts + 1 >= CODE_ATTEMPTS) {
      await this.end(ctx);
      return false;
    }
    await this.#records.upsert(MODEL, digest(id), { ...pending, attempts: pending.attempts + 1 }, LIFETIME_SECONDS);
    return true;
  }

  async end(ctx: Context): Promise<void> {
    const id = ctx.cookies.get(this.#cookie);
    if (id && id.length <= 100) await this.#records.destroy(MODEL, digest(id));
    ctx.cookies.set(this.#cookie, '', { ...this.#sessions.cookieOptions(), maxAge: 0 });
  }
}

export type CodeCheck =
  | { readonly outcome: 'ok'; readonly user: User; readonly method: 'otp' | 'recovery' }
  /** A wrong code; the form is shown again while the pending sign-in lasts. */
  | { readonly outcome: 'wrong'; readonly message: string }
  /** No pending sign-in (expired, too many wrong codes, another browser): the password again. */
  | { readonly outcome: 'expired'; readonly message: string }
  | { readonly outcome: 'limited'; readonly message: string; readonly retryAfter: number };

export const WRONG_CODE = 'That code is not right. Enter the current code from your authenticator app, or a recovery code.';
export const SIGN_IN_AGAIN = 'The sign-in took too long or had too many wrong codes. Enter your password again.';

/**
 * The second step of a sign-in: the code for this browser's pending sign-in, throttled like a
 * password (each attempt is reserved under the sign-in limits for the user's email).
 */
export async function checkPendingCode(
  deps: { readonly store: Store; readonly pepper: Pepper; readonly limits: SignInLimits; readonly pending: PendingSignIns },
  ctx: Context, purpose: string, code: string,
): Promise<CodeCheck> {
  const { store, pepper, limits, pending } = deps;
  const waiting = await pending.current(ctx, purpose);
  const user = waiting ? await store.findUser(waiting.userId) : undefined;
  if (!waiting || !user) return { outcome: 'expired', message: SIGN_IN_AGAIN };
  const admission = await limits.admit(user.email, ctx.ip);
  if (!admission.allowed) {
    return { outcome: 'limited', retryAfter: admission.retryAfter, message: tooManySignIns(admission.retryAfter) };
  }
  const checked = await checkSecondFactor(store, pepper, user, code);
  const origin = originOf(ctx);
  if (!checked.ok) {
    await limits.failed(admission.reservation);
    await recordFailedSignIn(store, user, origin, 'code');
    return await pending.failed(ctx, waiting) ? { outcome: 'wrong', message: WRONG_CODE } : { outcome: 'expired', message: SIGN_IN_AGAIN };
  }
  await limits.succeeded(admission.reservation);
  await pending.end(ctx);
  if (checked.method === 'recovery') {
    await store.recordAuditEvent(userEvent(user, 'user.recovery_code_used', origin, { remaining: String(checked.user.recoveryCodes.length) }));
  }
  await recordSignIn(store, checked.user, origin, ['pwd', 'otp']);
  return { outcome: 'ok', user: checked.user, method: checked.method };
}
