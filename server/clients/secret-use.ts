// When each client secret was last used, as API keys' last use is kept (server/api-keys/last-used.ts):
// each process writes a secret's use at most once a minute, off the request path (the write is not
// awaited), so the app page may lag a real use by up to that interval. Kept in the store's model
// table by secret id, for as long as a secret can live; writing it changes no credential (no cache
// drops, the client's revision stays).
import type { OidcModelStore } from '../../adapters/contract.ts';
import { LAST_USED_RESOLUTION_MS } from '../api-keys/last-used.ts';
import type { Logger } from '../log.ts';

const MODEL = 'ClientSecretUse';
/** A year: a secret unused that long shows as never used. */
const KEPT_FOR = 365 * 24 * 3600;

export class SecretUseRecorder {
  readonly #records: OidcModelStore;
  readonly #log: Logger;
  readonly #written = new Map<string, number>();

  constructor(records: OidcModelStore, log: Logger) {
    this.#records = records;
    this.#log = log;
  }

  record(secretId: string, now = Date.now()): void {
    const last = this.#written.get(secretId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.#written.set(secretId, now);
    this.#records.upsert(MODEL, secretId, { at: now }, KEPT_FOR).catch((err: Error) => {
      this.#written.delete(secretId);
      this.#log.warn('could not record a client secret use', { secret_id: secretId, reason: err.message });
    });
  }
}

/** When each of these secrets was last used (absent: never, or not within a year). */
export async function secretsLastUsed(records: OidcModelStore, secretIds: readonly string[]): Promise<Map<string, Date>> {
  const found = await Promise.all(secretIds.map(async (id) => [id, await records.find(MODEL, id)] as const));
  return new Map(found.filter(([, use]) => typeof use?.at === 'number').map(([id, use]) => [id, new Date(use!.at as number)]));
}
