// When each client secret was last used, with the throttle API keys' last use has
// (server/api-keys/last-used.ts): at most a write a minute per secret per process, off the request
// path. Kept in the store's model table by secret id, for as long as a secret can live; writing it
// changes no credential (no cache drops, the client's revision stays).
import type { OidcModelStore } from '../../adapters/contract.ts';
import { UseRecorder } from '../api-keys/last-used.ts';
import type { Logger } from '../log.ts';

const MODEL = 'ClientSecretUse';
/** A year: a secret unused that long shows as never used. */
const KEPT_FOR = 365 * 24 * 3600;

export class SecretUseRecorder extends UseRecorder {
  constructor(records: OidcModelStore, log: Logger) {
    super((id, at) => records.upsert(MODEL, id, { at: at.getTime() }, KEPT_FOR), log, 'client secret');
  }
}

/** When each of these secrets was last used (absent: never, or not within a year). */
export async function secretsLastUsed(records: OidcModelStore, secretIds: readonly string[]): Promise<Map<string, Date>> {
  const found = await Promise.all(secretIds.map(async (id) => [id, await records.find(MODEL, id)] as const));
  return new Map(found.filter(([, use]) => typeof use?.at === 'number').map(([id, use]) => [id, new Date(use!.at as number)]));
}
