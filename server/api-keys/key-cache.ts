// API-key lookups by the key's HMAC, kept in this process so a request with a known key reads
// nothing from the store. An entry holds the record (its status is still worked out per request:
// expiry and a roll's overlap are a matter of time) and the principal made from it. Any change to
// a key or client empties the cache: on this instance at once (the store tells the
// credentials-changes owner after the change commits), on other instances at their next poll
// (server/cache/credentials-changes.ts). Unknown keys are not cached: a new key works at once.
import type { ApiKeyRecord, Store } from '../../adapters/contract.ts';
import type { Principal } from '../http/principal.ts';

export interface CachedKey {
  readonly record: ApiKeyRecord;
  readonly principal: Principal;
}

export interface KeyCacheOptions {
  /** Most keys kept; the least recently used goes first. */
  maxEntries?: number;
  /** Subscribes to "an API key or client changed" (server/cache/credentials-changes.ts subscribe). */
  onChange?: (listener: () => void) => void;
}

function principalOf(key: ApiKeyRecord): Principal {
  return {
    accountId: key.accountId,
    environment: key.environment,
    scopes: new Set(key.scopes),
    credential: { kind: 'api_key', id: key.id },
  };
}

export class ApiKeyCache {
  static readonly MAX_ENTRIES = 10_000;
  readonly #store: Pick<Store, 'findApiKeyByHash'>;
  readonly #max: number;
  readonly #entries = new Map<string, CachedKey>();
  /**
   * Keys found before, by a plain SHA-256 of the key as presented: a repeat costs one digest, not an
   * HMAC per pepper (a new HMAC object each time, the dearest part of a known key's check). The
   * digest of a 256-bit random key says nothing of it, and stays in this process.
   */
  readonly #presented = new Map<string, { found: CachedKey; hash: string }>();
  /** Bumped by invalidateAll: a lookup that started before a change must not store what it read. */
  #generation = 0;

  constructor(store: Pick<Store, 'findApiKeyByHash'>, options: KeyCacheOptions = {}) {
    this.#store = store;
    this.#max = options.maxEntries ?? ApiKeyCache.MAX_ENTRIES;
    options.onChange?.(() => this.invalidateAll());
  }

  /** The key with this HMAC, from memory when known; undefined for a key the store does not hold. */
  async find(hash: string): Promise<CachedKey | undefined> {
    const hit = this.#entries.get(hash);
    if (hit) {
      // Most recently used last, so the first is the one to drop.
      this.#entries.delete(hash);
      this.#entries.set(hash, hit);
      return hit;
    }
    const generation = this.#generation;
    const record = await this.#store.findApiKeyByHash(hash);
    if (!record) return undefined;
    const entry = { record, principal: principalOf(record) };
    if (generation === this.#generation) this.#remember(hash, entry);
    return entry;
  }

  /** A key found before as `digest` (see #presented): its entry and stored hash, while the entry is cached. */
  knownAs(digest: string): { found: CachedKey; hash: string } | undefined {
    const known = this.#presented.get(digest);
    return known && this.#entries.get(known.hash) === known.found ? known : undefined;
  }

  /** Remembers what the key presented as `digest` was found as, if that entry is still cached (no change came between). */
  rememberAs(digest: string, hit: { found: CachedKey; hash: string }): void {
    if (this.#entries.get(hit.hash) !== hit.found) return;
    if (this.#presented.size >= this.#max) this.#presented.delete(this.#presented.keys().next().value!);
    this.#presented.set(digest, hit);
  }

  invalidateAll(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#presented.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #remember(hash: string, entry: CachedKey): void {
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hash, entry);
  }
}
