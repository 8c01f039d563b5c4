// Sign-in limits on the login page and the portal, shared by every instance through the store:
//  - per email and address: after LIMITS.loginMaxFailures failures, one attempt per wait, the wait
//    doubling from LIMITS.loginFirstWait up to the longest wait (LATCHKEY_LOGIN_LOCKOUT);
//  - per address across all emails, and per email across all addresses: a ceiling per window.
//    The per-email ceiling leaves out addresses the email signed in from before (for
//    LIFETIMES.knownSignInAddress), so guesses from elsewhere cannot lock the user out of those.
// Addresses count as addressKey() makes them: an IPv6 address by its /64.
// Each attempt is reserved in the store before the password is checked: hitCounter is atomic, so
// parallel attempts, on one instance or several, each see a different count and cannot slip past.
// Emails count whether or not they exist, so a refusal reveals nothing.
import type { CounterStore } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey, secondsUntil } from '../limits/failures.ts';

type Counters = Pick<CounterStore, 'hitCounter' | 'readCounter' | 'resetCounter'>;

export interface SignInWindows {
  /** Seconds the failures are counted over (LATCHKEY_SIGN_IN_WINDOW). */
  readonly signInWindow: number;
  /** The longest wait, in seconds (LATCHKEY_LOGIN_LOCKOUT). */
  readonly loginLockout: number;
}

interface Slot { readonly key: string; readonly resetAt: Date }

/** An attempt the limits let through: give it back to `failed` or `succeeded`. */
export interface Reservation {
  readonly pair: string;
  /** Failures of this email and address before this attempt. */
  readonly failuresBefore: number;
  /** This attempt's number among the free ones (before the waits), or 0 when it is past them. */
  readonly freeTry: number;
  readonly source: Slot;
  /** The per-email ceiling's slot; none from an address this email signed in from before. */
  readonly email: Slot | undefined;
  /** Where a success remembers this email and address. */
  readonly known: string;
}

export type Admission =
  | { readonly allowed: true; readonly reservation: Reservation }
  | { readonly allowed: false; readonly retryAfter: number };

const refused = (retryAfter: number): Admission => ({ allowed: false, retryAfter });

/**
 * A ceiling on failures per window. Every attempt takes a slot before it is evaluated; an attempt
 * that did not fail (a success, or one refused by another limit) gives its slot back, counted in
 * a second counter of the same window.
 */
class Ceiling {
  readonly #counters: Counters;
  readonly #kind: string;
  readonly #limit: number;
  readonly #windowSeconds: number;

  constructor(counters: Counters, kind: string, limit: number, windowSeconds: number) {
    this.#counters = counters;
    this.#kind = kind;
    this.#limit = limit;
    this.#windowSeconds = windowSeconds;
  }

  async take(id: string): Promise<Slot | { retryAfter: number }> {
    const key = limitKey(this.#kind, id);
    const taken = await this.#counters.hitCounter(key, this.#windowSeconds);
    if (taken.count > this.#limit) {
      const returned = (await this.#counters.readCounter(returnedKey(key, taken)))?.count ?? 0;
      if (taken.count - returned > this.#limit) return { retryAfter: secondsUntil(taken.resetAt.getTime()) };
    }
    return { key, resetAt: taken.resetAt };
  }

  async giveBack(slot: Slot): Promise<void> {
    await this.#counters.hitCounter(returnedKey(slot.key, slot), secondsUntil(slot.resetAt.getTime()));
  }
}

const returnedKey = (key: string, window: { resetAt: Date }) => `${key}:returned:${window.resetAt.getTime()}`;

export class SignInLimits {
  readonly #counters: Counters;
  readonly #windows: SignInWindows;
  readonly #sources: Ceiling;
  readonly #emails: Ceiling;

  constructor(counters: Counters, windows: SignInWindows) {
    this.#counters = counters;
    this.#windows = windows;
    this.#sources = new Ceiling(counters, 'sign-in:source', LIMITS.loginSourceMaxFailures, windows.signInWindow);
    this.#emails = new Ceiling(counters, 'sign-in:email', LIMITS.loginEmailMaxFailures, windows.signInWindow);
  }

  /** The wait after the nth failure of one email and address (n >= loginMaxFailures). */
  #waitAfter(failures: number): number {
    const doublings = Math.min(failures - LIMITS.loginMaxFailures, 30);
    return Math.min(this.#windows.loginLockout, LIMITS.loginFirstWait * 2 ** doublings);
  }

  /** Reserves an attempt, or says how long to wait. */
  async admit(email: string, ip: string): Promise<Admission> {
    const normalized = email.trim().toLowerCase();
    const address = addressKey(ip);
    const pair = limitKey('sign-in:pair', normalized, address);
    const failures = await this.#counters.readCounter(`${pair}:failures`);
    const failuresBefore = failures?.count ?? 0;
    const waiting = failuresBefore >= LIMITS.loginMaxFailures ? failures : undefined;
    // A wait in progress refuses with reads only, and spends nothing of the ceilings.
    const wait = waiting && await this.#counters.readCounter(`${pair}:wait`);
    if (wait) return refused(secondsUntil(wait.resetAt.getTime()));

    const source = await this.#sources.take(address);
    if ('retryAfter' in source) return refused(source.retryAfter);
    // The ceiling is there against guesses from many addresses; the user's own are spared it.
    const known = limitKey('sign-in:known', normalized, address);
    const emailSlot = await this.#counters.readCounter(known) ? undefined : await this.#emails.take(normalized);
    if (emailSlot && 'retryAfter' in emailSlot) {
      await this.#sources.giveBack(source);
      return refused(emailSlot.retryAfter);
    }

    // The free attempts, or the one attempt after each wait: whoever the atomic count makes first.
    let freeTry = 0;
    let ours: boolean;
    if (waiting) {
      // Keyed by the failure window too: a success starts a new one, with fresh turns.
      const turn = await this.#counters.hitCounter(`${pair}:turn:${waiting.resetAt.getTime()}:${failuresBefore}`, this.#windows.signInWindow);
      ours = turn.count === 1;
    } else {
      freeTry = (await this.#counters.hitCounter(`${pair}:tries`, this.#windows.signInWindow)).count;
      ours = freeTry <= LIMITS.loginMaxFailures;
    }
    if (!ours) {
      // Others are being checked right now; their outcome decides what comes next.
      await Promise.all([this.#sources.giveBack(source), emailSlot && this.#emails.giveBack(emailSlot)]);
      return refused(LIMITS.loginFirstWait);
    }
    return { allowed: true, reservation: { pair, failuresBefore, freeTry, source, email: emailSlot, known } };
  }

  /** The password was wrong (or the email unknown). */
  async failed(reservation: Reservation): Promise<void> {
    const { pair, failuresBefore, freeTry } = reservation;
    const failure = freeTry || failuresBefore + 1;
    // Open the next wait before counting the failure, so no attempt sees the new count without it.
    if (failure >= LIMITS.loginMaxFailures) await this.#counters.hitCounter(`${pair}:wait`, this.#waitAfter(failure));
    await this.#counters.hitCounter(`${pair}:failures`, this.#windows.signInWindow);
  }

  /**
   * A success resets the email and address count, gives back its slots of the ceilings, and
   * remembers the address for this email, for LIFETIMES.knownSignInAddress from now.
   */
  async succeeded(reservation: Reservation): Promise<void> {
    const { pair, known } = reservation;
    await Promise.all([
      ...['tries', 'failures', 'wait'].map((name) => this.#counters.resetCounter(`${pair}:${name}`)),
      this.#sources.giveBack(reservation.source),
      reservation.email && this.#emails.giveBack(reservation.email),
      // A counter's window is set when it starts: reset, so that it starts again now.
      this.#counters.resetCounter(known).then(() => this.#counters.hitCounter(known, LIFETIMES.knownSignInAddress)),
    ]);
  }
}
