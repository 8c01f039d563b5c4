// The adapter's per-process cache of client rows: a token request reads its client without a store
// round trip. Dropped whole on every credentials change (server/cache/credentials-changes.ts), so an edit,
// a secret rotation or revocation, or a deletion reaches this process within the signal's bound.
// Misses are not cached: a client created on another instance is found on its first request.
import type { ClientRecord, Store } from '../../adapters/contract.ts';
import type { CredentialsChangeSource } from './credentials-changes.ts';

/** Enough for every client of a deployment; past it the cache starts again rather than grow. */
const MAX_ENTRIES = 10_000;

export class ClientCache {
  readonly #store: Pick<Store, 'findClient'>;
  readonly #entries = new Map<string, ClientRecord>();
  /** Moves on every drop: a read that started before a change must not refill the cache with it. */
  #epoch = 0;

  constructor(store: Pick<Store, 'findClient'>, changes: CredentialsChangeSource) {
    this.#store = store;
    changes.subscribe(() => this.clear());
  }

  clear(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }

  async find(id: string): Promise<ClientRecord | undefined> {
    const cached = this.#entries.get(id);
    if (cached) return cached;
    const epoch = this.#epoch;
    const client = await this.#store.findClient(id);
    if (client && epoch === this.#epoch) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(id, client);
    }
    return client;
  }
}
