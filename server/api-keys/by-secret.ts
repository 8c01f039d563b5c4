// Finding an API key by the key itself, whichever pepper its hash was made under, and moving a hash
// made under an older pepper to the current one on that use (docs/operations.md, "Rotating the pepper").
import { hash } from 'node:crypto';
import type { Store } from '../../adapters/contract.ts';
import type { Logger } from '../log.ts';
import { findByAnyPepper, type Pepper } from '../secrets.ts';
import type { ApiKeyCache, CachedKey } from './key-cache.ts';

/** Rehashes a key found under an older pepper; a failure only delays the move to the next use. */
export function moveToCurrentPepper(store: Pick<Store, 'rehashApiKey'>, pepper: Pepper, key: { id: string }, hash: string, secret: string, log?: Logger): void {
  if (pepper.isCurrent(hash)) return;
  store.rehashApiKey(key.id, hash, pepper.hash(secret)).catch((err: Error) => {
    log?.warn('moving an API key to the current pepper failed; the next use tries again', { key_id: key.id, reason: err.message });
  });
}

/**
 * The key this secret is, through a key cache (the guard's, introspection's): a key found before is
 * known again by a plain digest of what was presented, with no HMAC (key-cache.ts). A first use
 * looks it up by its HMAC under each pepper; one found under an older pepper moves to the current
 * one, and is remembered once its hash is under it.
 */
export async function findCachedKeyBySecret(
  keys: ApiKeyCache, store: Pick<Store, 'rehashApiKey'>, pepper: Pepper, secret: string, log?: Logger,
): Promise<CachedKey | undefined> {
  const digest = hash('sha256', secret, 'base64url');
  const known = keys.knownAs(digest);
  if (known) return known.found;
  const hit = await findByAnyPepper(pepper, secret, (stored) => keys.find(stored));
  if (!hit) return undefined;
  moveToCurrentPepper(store, pepper, hit.found.record, hit.hash, secret, log);
  if (pepper.isCurrent(hit.hash)) keys.rememberAs(digest, hit);
  return hit.found;
}
