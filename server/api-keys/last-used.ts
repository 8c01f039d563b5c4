// Keeps a credential's last use current without a write on every request: each process writes an
// id's last use at most once a minute, off the request path (the write is not awaited). A list may
// lag a real use by up to that interval. API keys keep it on their row; client secrets use the same
// throttle (server/clients/secret-use.ts).
import type { ApiKeyStore } from '../../adapters/contract.ts';
import type { Logger } from '../log.ts';

export const LAST_USED_RESOLUTION_MS = 60_000;

/** Writes each id's use at most once per LAST_USED_RESOLUTION_MS; a failed write is logged and tried again next use. */
export class UseRecorder {
  readonly #write: (id: string, at: Date) => Promise<void>;
  readonly #log: Logger;
  readonly #what: string;
  readonly #written = new Map<string, number>();

  /** `what` names the credential in the log ("API key", "client secret"). */
  constructor(write: (id: string, at: Date) => Promise<void>, log: Logger, what: string) {
    this.#write = write;
    this.#log = log;
    this.#what = what;
  }

  record(id: string, now = Date.now()): void {
    const last = this.#written.get(id);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.#written.set(id, now);
    this.#write(id, new Date(now)).catch((err: Error) => {
      this.#written.delete(id);
      this.#log.warn(`could not record a${/^[aeiou]/i.test(this.#what) ? 'n' : ''} ${this.#what} use`, { id, reason: err.message });
    });
  }
}

export class LastUsedRecorder extends UseRecorder {
  constructor(store: Pick<ApiKeyStore, 'touchApiKey'>, log: Logger) {
    super((id, at) => store.touchApiKey(id, at), log, 'API key');
  }
}
