// Adding a signing-key pair to the store's set: by `latchkey signing-keys rotate`, or on the
// schedule LATCHKEY_SIGNING_KEY_ROTATION sets. The new keys start signing after `delaySeconds`;
// the store's compare-and-set keeps instances and the CLI from rotating twice at once.
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { ensureOperatorAccount } from '../clients/resource-servers.ts';
import { generateJwks } from '../keys.ts';
import { generateSortableId } from '../secrets.ts';
import { SIGNING_KEYS_SECRET, entryOf, parseEntries, serializeEntries, statesOf, type SigningKeyEntry } from '../signing-keys.ts';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The entries now: the store's record, or (before any rotation) the generated set loaded at boot. */
export async function storedSigningKeys(store: Store, loaded: readonly SigningKeyEntry[]): Promise<{ raw: string | undefined; entries: SigningKeyEntry[] }> {
  const raw = await store.findSecret(SIGNING_KEYS_SECRET);
  return { raw, entries: raw === undefined ? [...loaded] : parseEntries(raw) };
}

export async function rotateSigningKeys(
  store: Store, loaded: readonly SigningKeyEntry[], delaySeconds: number, actor: 'cli' | 'system',
): Promise<{ activatesAt: number; entries: SigningKeyEntry[] }> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const now = Math.floor(Date.now() / 1000);
    const { raw, entries: current } = await storedSigningKeys(store, loaded);
    if (raw !== undefined && statesOf(current, now).some((s) => s.state === 'retired')) {
      // Retired keys leave first, with their audit events; then the rotation reads the record again.
      await dropRetiredSigningKeys(store, raw, current, now);
      continue;
    }
    const pending = statesOf(current, now).find((s) => s.state === 'next');
    if (pending) throw new LatchkeyError('conflict', `a rotation is already under way: key ${pending.entry.kid} starts signing at ${iso(pending.entry.activateAt)}`);
    const fresh = await Promise.all((JSON.parse(await generateJwks()) as { keys: SigningKeyEntry['jwk'][] }).keys.map((jwk) => entryOf(jwk, now + delaySeconds, now)));
    const next = [...current, ...fresh];
    if (!await store.replaceSecret(SIGNING_KEYS_SECRET, raw, serializeEntries(next))) continue;
    const operator = await ensureOperatorAccount(store);
    for (const entry of fresh) {
      await store.recordAuditEvent({
        id: generateSortableId('evt'), accountId: operator, actor, action: 'signing_key.rotated', targetId: entry.kid, reason: undefined, at: new Date(),
        detail: { alg: entry.alg, activates_at: iso(entry.activateAt) },
      });
    }
    return { activatesAt: now + delaySeconds, entries: next };
  }
  throw new LatchkeyError('conflict', 'the signing keys kept changing under this rotation; run it again');
}

/**
 * Takes retired keys (unpublished: every token they signed has expired) out of the store's record,
 * so their private parts are gone. The instance whose compare-and-set wins records the audit event
 * `signing_key.retired`, once per key. Returns the entries left.
 */
export async function dropRetiredSigningKeys(store: Store, raw: string, entries: SigningKeyEntry[], now: number): Promise<SigningKeyEntry[]> {
  const retired = statesOf(entries, now).filter((s) => s.state === 'retired');
  if (retired.length === 0) return entries;
  const kept = entries.filter((entry) => !retired.some((r) => r.entry.kid === entry.kid));
  if (!await store.replaceSecret(SIGNING_KEYS_SECRET, raw, serializeEntries(kept))) return entries; // another instance did it
  const operator = await ensureOperatorAccount(store);
  for (const { entry, retireAt } of retired) {
    await store.recordAuditEvent({
      id: generateSortableId('evt'), accountId: operator, actor: 'system', action: 'signing_key.retired', targetId: entry.kid, reason: undefined, at: new Date(),
      detail: { alg: entry.alg, retired_at: iso(retireAt ?? now) },
    });
  }
  return kept;
}

/** Whether the schedule calls for a rotation now: the newest key is older than the interval and none is pending. */
export function rotationDue(entries: readonly SigningKeyEntry[], now: number, intervalSeconds: number): boolean {
  const states = statesOf(entries, now);
  if (states.some((s) => s.state === 'next')) return false;
  const newest = Math.max(...entries.map((e) => Math.max(e.activateAt, e.createdAt)));
  return newest + intervalSeconds <= now;
}
