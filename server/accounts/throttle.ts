// Brute-force protection for the sign-in forms: after MAX_FAILURES failed attempts for one email
// within the lockout window (LATCHKEY_LOGIN_LOCKOUT, default LIFETIMES.loginLockout), that email is locked until the window ends. Counted per email
// whether or not it exists (so the lock reveals nothing), and kept in the store so that every
// instance counts together. The count is read-then-written: two instances may each let one extra
// attempt through, which is fine for a throttle.
import { createHash } from 'node:crypto';
import type { OidcModelStore } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';

export const MAX_FAILURES = LIMITS.loginMaxFailures;
const MODEL = 'LoginThrottle';

const keyOf = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');

export class LoginThrottle {
  readonly #records: OidcModelStore;
  readonly lockoutSeconds: number;

  constructor(records: OidcModelStore, lockoutSeconds: number) {
    this.#records = records;
    this.lockoutSeconds = lockoutSeconds;
  }

  async isLocked(email: string): Promise<boolean> {
    const record = await this.#records.find(MODEL, keyOf(email));
    return typeof record?.failures === 'number' && record.failures >= MAX_FAILURES;
  }

  async recordFailure(email: string): Promise<void> {
    const key = keyOf(email);
    const now = Math.floor(Date.now() / 1000);
    const record = await this.#records.find(MODEL, key);
    const since = typeof record?.since === 'number' ? record.since : now;
    const failures = (typeof record?.failures === 'number' ? record.failures : 0) + 1;
    const remaining = Math.max(1, since + this.lockoutSeconds - now);
    await this.#records.upsert(MODEL, key, { failures, since }, remaining);
  }

  async reset(email: string): Promise<void> {
    await this.#records.destroy(MODEL, keyOf(email));
  }
}
