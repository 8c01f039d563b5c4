// Keeps `last_used_at` current without a write on every request: each process writes a key's
// last use at most once a minute. The list may lag a real use by up to that interval.
import type { ApiKeyStore } from '../../adapters/contract.ts';
import type { Logger } from '../log.ts';

export const LAST_USED_RESOLUTION_MS = 60_000;

export class LastUsedRecorder {
  readonly #store: Pick<ApiKeyStore, 'touchApiKey'>;
  readonly #log: Logger;
  readonly #written = new Map<string, number>();

  constructor(store: Pick<ApiKeyStore, 'touchApiKey'>, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  record(keyId: string, now = Date.now()): void {
    const last = this.#written.get(keyId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.#written.set(keyId, now);
    this.#store.touchApiKey(keyId, new Date(now)).catch((err: Error) => {
      this.#written.delete(keyId);
      this.#log.warn('could not record an API key use', { key_id: keyId, reason: err.message });
    });
  }
}
