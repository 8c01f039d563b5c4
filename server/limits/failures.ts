// Failure limits for the hot paths (client authentication, the resource-server guard): failures are
// counted, successes only look up an in-memory map of the keys that are currently refused, so a
// success never waits on the store. See docs/operations.md ("Rate limits") for every number.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Counter, CounterStore } from '../../adapters/contract.ts';

/** What a failure counts against: a key, the most failures it may have, and its window. */
export interface Charge {
  readonly key: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/** A counter key that does not keep the address, email or client id as given (and has a bounded length). */
export function limitKey(kind: string, ...parts: string[]): string {
  return `${kind}:${createHash('sha256').update(parts.join('\n')).digest('base64url')}`;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, a trailing dotted IPv4 split in two). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [head, tail] = text.split('::');
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/**
 * What the limits count a client address as. An IPv6 host is usually given a whole /64 and may pick
 * any address in it, so IPv6 counts per /64; an IPv4-mapped IPv6 address (::ffff:192.0.2.1, how a
 * dual-stack socket shows an IPv4 client) counts as its IPv4 address. Anything else as it is.
 */
export function addressKey(ip: string): string {
  const address = withoutPort(ip).replace(/%.*$/, ''); // an IPv6 zone index (fe80::1%eth0)
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return ip;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/**
 * A proxy may append the client's port (192.0.2.1:4711, [2001:db8::1]:443, or brackets alone): the
 * address counts, whatever port each request came from.
 */
function withoutPort(ip: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  return v4WithPort ? v4WithPort[1]! : ip;
}

/** Whole seconds until `until` (epoch ms), at least 1: what Retry-After says. */
export function secondsUntil(until: number, now = Date.now()): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** Most keys a map here keeps; past that, ended entries go first, then the oldest. */
const MAX_KEYS = 100_000;
/** Most keys re-read each second for blocks reached on other instances. */
const MAX_WATCHED = 1000;

function setBounded<V>(map: Map<string, V>, key: string, value: V, max: number, ended: (value: V) => boolean): void {
  map.delete(key);
  if (map.size >= max) {
    for (const [k, v] of map) if (ended(v)) map.delete(k);
    // Maps iterate in insertion order: drop the oldest while still full.
    for (const k of map.keys()) {
      if (map.size < max) break;
      map.delete(k);
    }
  }
  map.set(key, value);
}

/** Fixed-window counters in this process only: for limits that need not be shared (the guard's). */
export class MemoryCounters implements Pick<CounterStore, 'hitCounter' | 'readCounter'> {
  readonly #counters = new Map<string, { count: number; resetAt: number }>();

  hitCounter(key: string, windowSeconds: number): Promise<Counter> {
    const now = Date.now();
    const open = this.#counters.get(key);
    const counter = open && open.resetAt > now
      ? { count: open.count + 1, resetAt: open.resetAt }
      : { count: 1, resetAt: now + windowSeconds * 1000 };
    setBounded(this.#counters, key, counter, MAX_KEYS, (c) => c.resetAt <= now);
    return Promise.resolve({ count: counter.count, resetAt: new Date(counter.resetAt) });
  }

  readCounter(key: string): Promise<Counter | undefined> {
    const counter = this.#counters.get(key);
    return Promise.resolve(counter && counter.resetAt > Date.now() ? { count: counter.count, resetAt: new Date(counter.resetAt) } : undefined);
  }
}

/**
 * Counts failures and remembers, in memory, which keys reached their limit and until when. With
 * shared counters (the store), keys at half their limit or more are re-read every second, so a
 * limit reached through another instance is enforced here within a second too.
 */
export class FailureLimiter {
  readonly #counters: Pick<CounterStore, 'hitCounter' | 'readCounter'>;
  /** key -> refused until (epoch ms) */
  readonly #blocked = new Map<string, number>();
  /** key -> its charge and the end of its window, for keys close to their limit */
  readonly #watched = new Map<string, { charge: Charge; until: number }>();
  readonly #timer: NodeJS.Timeout | undefined;
  #refreshing = false;

  constructor(counters: Pick<CounterStore, 'hitCounter' | 'readCounter'>, options: { shared: boolean; onError?: (err: Error) => void }) {
    this.#counters = counters;
    if (options.shared) {
      this.#timer = setInterval(() => {
        if (this.#refreshing) return; // the last round is still reading
        this.#refreshing = true;
        this.refresh().catch(options.onError ?? (() => undefined)).finally(() => { this.#refreshing = false; });
      }, 1000);
      this.#timer.unref();
    }
  }

  /** Whether any key is refused now. When none is (nearly always), a caller need not even make its keys: they are hashes. */
  get refusing(): boolean {
    return this.#blocked.size > 0;
  }

  /** Seconds until every one of these keys may be tried again; undefined when none is refused. Memory only. */
  retryAfter(keys: readonly string[]): number | undefined {
    if (this.#blocked.size === 0) return undefined;
    const now = Date.now();
    let until = 0;
    for (const key of keys) {
      const blockedUntil = this.#blocked.get(key);
      if (blockedUntil === undefined) continue;
      if (blockedUntil <= now) this.#blocked.delete(key);
      else until = Math.max(until, blockedUntil);
    }
    return until ? secondsUntil(until, now) : undefined;
  }

  /** Counts one failure against each charge. */
  async recordFailure(charges: readonly Charge[]): Promise<void> {
    await Promise.all(charges.map(async (charge) => {
      this.#note(charge, await this.#counters.hitCounter(charge.key, charge.windowSeconds));
    }));
  }

  /** Re-reads the watched keys' counters (see the class comment). */
  async refresh(): Promise<void> {
    const now = Date.now();
    for (const [key, { charge, until }] of [...this.#watched]) {
      if (until <= now) {
        this.#watched.delete(key);
        continue;
      }
      const counter = await this.#counters.readCounter(key);
      if (counter) this.#note(charge, counter);
      else this.#watched.delete(key);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #note(charge: Charge, counter: Counter): void {
    const now = Date.now();
    const until = counter.resetAt.getTime();
    if (counter.count >= charge.limit) {
      setBounded(this.#blocked, charge.key, until, MAX_KEYS, (u) => u <= now);
      this.#watched.delete(charge.key);
    } else if (this.#timer && counter.count * 2 >= charge.limit) {
      setBounded(this.#watched, charge.key, { charge, until }, MAX_WATCHED, (w) => w.until <= now);
    }
  }
}
