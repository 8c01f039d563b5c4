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

  invalidateAll(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #remember(hash: string, entry: CachedKey): void {
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hash, entry);
  }
}
