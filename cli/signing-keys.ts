// `latchkey signing-keys rotate` and `list`: a new signing key pair (ES256 for access tokens, RS256
// for ID tokens) published at once and signing only after a delay, so resource servers holding a
// cached JWKS have it before its first token; the keys it replaces stay published until every token
// they signed has expired (server/signing-keys.ts). Running instances follow within seconds.
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import { SIGNING_KEYS, humanDuration } from '../config/lifetimes.ts';
import { durationSeconds, type Settings } from '../config/settings.ts';
import { ensureOperatorAccount } from '../server/clients/resource-servers.ts';
import { generateJwks, loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { generateSortableId } from '../server/secrets.ts';
import {
  SIGNING_KEYS_SECRET, entryOf, parseEntries, serializeEntries, statesOf, type SigningKeyEntry,
} from '../server/signing-keys.ts';

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
  const raw = keys.signingKeysGiven ? undefined : await store.findSecret(SIGNING_KEYS_SECRET);
  const entries = raw === undefined ? keys.signingKeys : parseEntries(raw);
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
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const now = Math.floor(Date.now() / 1000);
    const raw = await store.findSecret(SIGNING_KEYS_SECRET);
    const current = raw === undefined ? keys.signingKeys : parseEntries(raw);
    const pending = statesOf(current, now).find((s) => s.state === 'next');
    if (pending) throw new LatchkeyError('conflict', `a rotation is already under way: key ${pending.entry.kid} starts signing at ${iso(pending.entry.activateAt)}`);
    const fresh = await Promise.all((JSON.parse(await generateJwks()) as { keys: SigningKeyEntry['jwk'][] }).keys.map((jwk) => entryOf(jwk, now + delay, now)));
    // Retired keys are no longer published: their private parts leave the store now.
    const kept = statesOf(current, now).filter((s) => s.state !== 'retired').map((s) => s.entry);
    const next = [...kept, ...fresh];
    if (!await store.replaceSecret(SIGNING_KEYS_SECRET, raw, serializeEntries(next))) continue;
    const operator = await ensureOperatorAccount(store);
    for (const entry of fresh) {
      await store.recordAuditEvent({
        id: generateSortableId('evt'), accountId: operator, actor: 'cli', action: 'signing_key.rotated', targetId: entry.kid, at: new Date(), reason: undefined,
        detail: { alg: entry.alg, activates_at: iso(entry.activateAt) ?? '' },
      });
    }
    return { object: 'signing_key_rotation', activates_at: iso(now + delay), data: present(next, now) };
  }
  throw new LatchkeyError('conflict', 'the signing keys kept changing under this command; run it again');
}
