// When a pepper may leave LATCHKEY_PEPPER: no unrevoked API key or working client secret has a hash
// made under it, and no value is still sealed under it (webhook signing secrets, two-factor secrets,
// pending mail). Hashes are counted by the store; sealed values carry no pepper id, so the store
// keeps a record of the peppers values may be sealed under: each boot adds its current pepper, and
// `latchkey pepper rotate`, once it has sealed everything again, narrows it to the current one.
import type { SecretStore, Store } from '../adapters/contract.ts';
import { SettingsError } from '../config/settings.ts';
import type { Pepper } from './secrets.ts';

const SEALED_UNDER = 'sealed_under_peppers';
const ATTEMPTS = 5;

type HashCounts = Pick<Store, 'countApiKeyHashesByPepper' | 'countClientSecretHashesByPepper'>;

/** Unrevoked API keys and working client secrets, by the pepper their hashes were made under. */
export async function hashesByPepper(store: HashCounts) {
  const [apiKeys, clientSecrets] = await Promise.all([store.countApiKeyHashesByPepper(), store.countClientSecretHashesByPepper(new Date())]);
  return { apiKeys, clientSecrets };
}

/** The peppers values may still be sealed under (none recorded yet: nothing sealed by this version). */
export async function sealedUnder(store: Pick<SecretStore, 'findSecret'>): Promise<string[]> {
  const raw = await store.findSecret(SEALED_UNDER);
  return raw ? raw.split(',') : [];
}

/** Changes the record with `change`, retried when another process changed it first. */
async function changeSealedUnder(store: Pick<SecretStore, 'findSecret' | 'replaceSecret'>, change: (ids: string[]) => string[]): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const raw = await store.findSecret(SEALED_UNDER);
    const ids = raw ? raw.split(',') : [];
    const next = [...new Set(change(ids))].join(',');
    if (next === raw || await store.replaceSecret(SEALED_UNDER, raw, next)) return;
  }
  throw new Error('the record of sealing peppers kept changing; start again');
}

/** This process seals under its current pepper from now on: the record says so before it does. */
export function recordSealingPepper(store: Pick<SecretStore, 'findSecret' | 'replaceSecret'>, pepper: Pepper): Promise<void> {
  return changeSealedUnder(store, (ids) => (ids.includes(pepper.currentId) ? ids : [pepper.currentId, ...ids]));
}

/**
 * Everything sealed has been sealed again under the current pepper: the record keeps that one, and
 * any pepper a process added while the reseal ran (`before` is the record as it was when it began).
 */
export function recordResealed(store: Pick<SecretStore, 'findSecret' | 'replaceSecret'>, pepper: Pepper, before: readonly string[]): Promise<void> {
  return changeSealedUnder(store, (ids) => [pepper.currentId, ...ids.filter((id) => !before.includes(id))]);
}

const hashCount = (n: number, of: string) => `${n} ${of} hash${n === 1 ? '' : 'es'}`;

/**
 * A pepper left out of LATCHKEY_PEPPER while API keys or client secrets still have hashes made under
 * it, or values are still sealed under it, would leave them dead: the boot refuses, saying which and
 * what to do (docs/operations.md, "Rotating the pepper").
 */
export async function checkRetiredPeppers(store: HashCounts & Pick<SecretStore, 'findSecret'>, pepper: Pepper): Promise<void> {
  const { apiKeys, clientSecrets } = await hashesByPepper(store);
  const ids = [...new Set([...Object.keys(apiKeys), ...Object.keys(clientSecrets)])].filter((id) => !pepper.ids.includes(id));
  const orphaned = ids.map((id) => ({ id, keys: apiKeys[id] ?? 0, secrets: clientSecrets[id] ?? 0 })).filter((o) => o.keys + o.secrets > 0);
  if (orphaned.length > 0) {
    const described = orphaned.map((o) => `pepper ${o.id} still has ${hashCount(o.keys, 'API key')} and ${hashCount(o.secrets, 'client secret')}`).join('; ');
    throw new SettingsError('LATCHKEY_PEPPER', `${described}: keep it listed after the current one until each has been used once `
      + '(it then moves to the current pepper) or is revoked; `latchkey pepper status` counts them');
  }
  const sealed = (await sealedUnder(store)).filter((id) => !pepper.ids.includes(id));
  if (sealed.length > 0) {
    throw new SettingsError('LATCHKEY_PEPPER', `values may still be sealed under pepper ${sealed.join(', ')} (webhook signing secrets, `
      + 'two-factor secrets, pending mail): keep it listed after the current one and run `latchkey pepper rotate`, which seals them '
      + 'again under the current pepper; then it may go');
  }
}
