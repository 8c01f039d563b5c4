// The resource-server guard's limit: failed API-key and access-token checks per address. Counted in
// this process only: a flood of bad credentials must not turn into a flood of store writes, and a
// valid credential must never wait on the store because of it.
import { LatchkeyError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, FailureLimiter, MemoryCounters } from './failures.ts';

/** 429 rate_limited (our error body) with Retry-After. */
export function rateLimited(retryAfter: number, message?: string): LatchkeyError {
  return new LatchkeyError('rate_limited', message, { headers: { 'Retry-After': String(retryAfter) } });
}

export class GuardLimits {
  readonly #limiter = new FailureLimiter(new MemoryCounters(), { shared: false });
  readonly #windowSeconds: number;

  constructor(windowSeconds: number) {
    this.#windowSeconds = windowSeconds;
  }

  /** Seconds until this address is heard again; undefined while it is not refused. Memory only. */
  retryAfter(address: string): number | undefined {
    return this.#limiter.retryAfter([`guard:${addressKey(address)}`]);
  }

  /** Throws rate_limited while this address is refused. Memory only: this runs on every request. */
  check(address: string): void {
    const retryAfter = this.retryAfter(address);
    if (retryAfter !== undefined) {
      throw rateLimited(retryAfter, `too many failed credential checks from this address; retry in ${retryAfter} seconds`);
    }
  }

  failed(address: string): Promise<void> {
    return this.#limiter.recordFailure([{ key: `guard:${addressKey(address)}`, limit: LIMITS.guardSourceMaxFailures, windowSeconds: this.#windowSeconds }]);
  }
}
