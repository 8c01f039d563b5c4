// What both stores share of the credentials generation (Store.credentialsGeneration): the
// listeners of this process, told after a change commits, and the poll interval every instance
// reads the generation at (server/cache/credentials-changes.ts). Each store moves its generation in
// the change's own transaction (adapters/sqlite/credentials.ts, adapters/mongodb/credentials.ts).

/** How often every instance reads the generation: the bound on a revocation reaching another instance. */
export const CREDENTIALS_POLL_INTERVAL_MS = 500;

export class CredentialsListeners {
  readonly #listeners = new Set<() => void>();
  /** When this process last committed a credentials change (ms since the epoch; 0: never). */
  lastChangeAt = 0;

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** After a commit: a listener that throws must not stop the others (nor fail the change). */
  notify(): void {
    this.lastChangeAt = Date.now();
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        // A cache that cannot drop itself is its own bug; the change itself is committed.
      }
    }
  }
}
