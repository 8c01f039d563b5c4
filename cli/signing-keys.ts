// `latchkey signing-keys rotate` and `list`: a new signing key pair (ES256 for access tokens, RS256
// for ID tokens) published at once and signing only after a delay, so resource servers holding a
// cached JWKS have it before its first token; the keys it replaces stay published until every token
// they signed has expired (server/signing-keys.ts). Running instances follow within seconds.
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import { SIGNING_KEYS, humanDuration } from '../config/lifetimes.ts';
import { durationSeconds, type Settings } from '../config/settings.ts';
import { rotateSigningKeys as rotate, storedSigningKeys } from '../server/assembly/signing-key-rotation.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { statesOf, type SigningKeyEntry } from '../server/signing-keys.ts';

const MAX_DELAY_SECONDS = 30 * 24 * 3600;
const iso = (seconds: number | undefined) => (seconds === undefined ? null : new Date(seconds * 1000).toISOString());

function present(entries: readonly SigningKeyEntry[], now: number) {
  return statesOf(entries, now).map(({ entry, state, retireAt }) => ({
    kid: entry.kid, alg: entry.alg, use: entry.alg === 'ES256' ? 'access tokens' : 'ID tokens', state,
    created_at: iso(entry.createdAt), activates_at: iso(entry.activateAt), retires_at: iso(retireAt),
  }));
}

export async function listSigningKeys(store: Store, settings: Settings): Promise<Record<string, unknown>> {
  const keys = await loadKeyMaterial(settings, store, consoleLogger);
  const entries = keys.signingKeysGiven ? keys.signingKeys : (await storedSigningKeys(store, keys.signingKeys)).entries;
  return { object: 'list', given: keys.signingKeysGiven ? 'LATCHKEY_JWKS' : 'generated and kept in the store', data: present(entries, Math.floor(Date.now() / 1000)) };
}

export async function rotateSigningKeys(store: Store, settings: Settings, activateAfter: string | undefined): Promise<Record<string, unknown>> {
  const delay = activateAfter === undefined ? SIGNING_KEYS.activateAfterSeconds : durationSeconds(activateAfter);
  if (delay === undefined || delay > MAX_DELAY_SECONDS) {
    throw new LatchkeyError('validation_failed', `--activate-after must be a duration up to 30d, such as 15m or 1h (default ${humanDuration(SIGNING_KEYS.activateAfterSeconds)})`);
  }
  const keys = await loadKeyMaterial(settings, store, consoleLogger);
  if (keys.signingKeysGiven) {
    throw new LatchkeyError('conflict', 'the signing keys are given in LATCHKEY_JWKS: add the new keys there, each with an "activate_at" '
      + 'member (seconds since the epoch), and keep the old ones until their tokens have expired (docs/operations.md, "Rotating the signing keys")');
  }
  const rotated = await rotate(store, keys.signingKeys, delay, 'cli');
  return { object: 'signing_key_rotation', activates_at: iso(rotated.activatesAt), data: present(rotated.entries, Math.floor(Date.now() / 1000)) };
}

