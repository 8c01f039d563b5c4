// The one owner of "credentials changed, drop the caches", created once per process
// (server/assembly/dependencies.ts). The per-process caches of clients (cache/clients.ts) and
// API-key lookups (api-keys/key-cache.ts) subscribe to it. It hears of a change two ways:
// - this process's own changes, at once: the store tells it after each committing transaction
//   (Store.onCredentialsChange);
// - every instance's changes, by reading the store's credentials generation every
//   CREDENTIALS_POLL_INTERVAL_MS (500 ms). A read that fails, or has not answered within
//   STALE_READ_MS, counts as a change (fail safe); a read merely slower than one interval does not,
//   so a slow primary does not empty every cache twice a second. The bound on another instance is
//   one interval plus one store read (docs/operations.md, "Caching and revocation").
import { CREDENTIALS_POLL_INTERVAL_MS } from '../../adapters/credentials-changes.ts';
import type { Store } from '../../adapters/contract.ts';

type Listener = () => void;

/** A generation read still unanswered after this long is as unknown as a failed one. */
export const STALE_READ_MS = 2000;

/** What the caches need of it. */
export interface CredentialsChangeSource {
  subscribe(listener: Listener): () => void;
}

export class CredentialsChanges implements CredentialsChangeSource {
  readonly #store: Pick<Store, 'credentialsGeneration' | 'onCredentialsChange'>;
  readonly #listeners = new Set<Listener>();
  #seen: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  /** When the read in flight started (ms), or undefined. */
  #pollingSince: number | undefined;

  constructor(store: Pick<Store, 'credentialsGeneration' | 'onCredentialsChange'>) {
    this.#store = store;
  }

  /** Starts listening and polling (idempotent); reads the current generation first. */
  start(): void {
    if (this.#timer) return;
    this.#unsubscribe = this.#store.onCredentialsChange(() => this.#emit());
    this.#timer = setInterval(() => void this.poll(), CREDENTIALS_POLL_INTERVAL_MS);
    // Never what keeps a process alive.
    this.#timer.unref();
    void this.poll();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One read of the generation; listeners run when it moved or could not be read. Exposed for tests. */
  async poll(): Promise<void> {
    if (this.#pollingSince !== undefined) {
      // The last read has not answered for STALE_READ_MS: as unknown as a failed one. A read that is
      // only slower than one interval is waited for.
      if (Date.now() - this.#pollingSince >= STALE_READ_MS) {
        this.#seen = undefined;
        this.#emit();
      }
      return;
    }
    this.#pollingSince = Date.now();
    try {
      const generation = await this.#store.credentialsGeneration();
      // The first read (at start, or after a failure) counts as a change: caches kept meanwhile drop.
      if (generation !== this.#seen) this.#emit();
      this.#seen = generation;
    } catch {
      // Unknown whether anything changed: assume it did.
      this.#seen = undefined;
      this.#emit();
    } finally {
      this.#pollingSince = undefined;
    }
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}
