// A cheap cross-instance signal that credentials changed (a client edited or deleted, an API key
// rolled or revoked, a grant revoked with its bound keys), so a per-process cache of clients or API
// keys can be kept without a long TTL. The store keeps one generation counter, bumped after each such
// change (adapters/composed-store.ts, server/metrics/instrument.ts for grant revocation); every
// instance reads it every POLL_INTERVAL_MS and drops its caches when it moved. The instance that made
// the change is told at once. A failed read drops the caches too (fail safe): the bound on another
// instance is POLL_INTERVAL_MS plus one store read (docs/operations.md, "Caching and revocation").
import { CREDENTIALS_GENERATION_KEY, CREDENTIALS_POLL_INTERVAL_MS, type LocalChangeListener } from '../../adapters/composed-store.ts';
import type { Counter, Store } from '../../adapters/contract.ts';

/**
 * How often the generation is read (500 ms). A named constant rather than a setting: it is the
 * revocation bound across instances, documented as such; defined beside the generation key
 * (adapters/composed-store.ts), whose close() waits it out after a change.
 */
export const POLL_INTERVAL_MS = CREDENTIALS_POLL_INTERVAL_MS;

type Listener = () => void;

/** A store that tells this process of its own changes at once (ComposedStore does). */
interface LocalChanges {
  onLocalCredentialsChange(listener: LocalChangeListener): () => void;
}

function hasLocalChanges(store: object): store is LocalChanges {
  return typeof (store as Partial<LocalChanges>).onLocalCredentialsChange === 'function';
}

/**
 * Read through the store's own method where it has one (ComposedStore): the generation is no
 * rate-limit state, and the limits promise no counter read on a success path.
 */
function readGeneration(store: Pick<Store, 'readCounter'>): Promise<Counter | undefined> {
  const own = (store as Partial<{ readCredentialsGeneration(): Promise<Counter | undefined> }>).readCredentialsGeneration;
  return own ? own.call(store) : store.readCounter(CREDENTIALS_GENERATION_KEY);
}

function generationOf(counter: Counter | undefined): string {
  return counter ? `${counter.count}@${counter.resetAt.getTime()}` : 'none';
}

export class ChangeSignal {
  readonly #store: Pick<Store, 'readCounter'>;
  readonly #listeners: Listener[] = [];
  #seen: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #polling = false;

  constructor(store: Pick<Store, 'readCounter'>) {
    this.#store = store;
  }

  /** Starts polling (idempotent); reads the current generation first so start-up is not a change. */
  start(): void {
    if (this.#timer) return;
    if (hasLocalChanges(this.#store)) this.#unsubscribe = this.#store.onLocalCredentialsChange(() => this.notifyLocal());
    this.#timer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
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

  onChange(listener: Listener): void {
    this.#listeners.push(listener);
  }

  /** A change made by this process: every cache drops now, without waiting for the next poll. */
  notifyLocal(): void {
    this.#emit();
  }

  /** One read of the generation; listeners run when it moved or could not be read. Exposed for tests. */
  async poll(): Promise<void> {
    if (this.#polling) {
      // The last read has not answered within a whole interval: as unknown as a failed one.
      this.#seen = undefined;
      this.#emit();
      return;
    }
    this.#polling = true;
    try {
      const generation = generationOf(await readGeneration(this.#store));
      // The first read (at start, or after a failure) counts as a change: caches kept meanwhile drop.
      if (generation !== this.#seen) this.#emit();
      this.#seen = generation;
    } catch {
      // Unknown whether anything changed: assume it did.
      this.#seen = undefined;
      this.#emit();
    } finally {
      this.#polling = false;
    }
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}

const signals = new WeakMap<object, ChangeSignal>();

/** The one started signal of a store (the app's store object), shared by every cache of the process. */
export function changeSignalOf(store: Pick<Store, 'readCounter'>): ChangeSignal {
  let signal = signals.get(store);
  if (!signal) {
    signal = new ChangeSignal(store);
    signals.set(store, signal);
    signal.start();
  }
  return signal;
}

/** Stops the store's signal, if it has one (when the store closes). */
export function stopChangeSignal(store: object): void {
  signals.get(store)?.stop();
  signals.delete(store);
}
