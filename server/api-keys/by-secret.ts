// Finding an API key by the key itself, whichever pepper its hash was made under, and moving a hash
// made under an older pepper to the current one on that use (docs/operations.md, "Rotating the pepper").
import type { ApiKeyRecord, Store } from '../../adapters/contract.ts';
import type { Logger } from '../log.ts';
import { findByAnyPepper, type Pepper } from '../secrets.ts';

/** Rehashes a key found under an older pepper; a failure only delays the move to the next use. */
export function moveToCurrentPepper(store: Pick<Store, 'rehashApiKey'>, pepper: Pepper, key: { id: string }, hash: string, secret: string, log?: Logger): void {
  if (pepper.isCurrent(hash)) return;
  store.rehashApiKey(key.id, hash, pepper.hash(secret)).catch((err: Error) => {
    log?.warn('moving an API key to the current pepper failed; the next use tries again', { key_id: key.id, reason: err.message });
  });
}

/** The key this secret is, under any pepper; one found under an older pepper moves to the current one. */
export async function findKeyBySecret(store: Pick<Store, 'findApiKeyByHash' | 'rehashApiKey'>, pepper: Pepper, secret: string, log?: Logger): Promise<ApiKeyRecord | undefined> {
  const hit = await findByAnyPepper(pepper, secret, (hash) => store.findApiKeyByHash(hash));
  if (!hit) return undefined;
  moveToCurrentPepper(store, pepper, hit.found, hit.hash, secret, log);
  return hit.found;
}
