// `latchkey pepper status`: the peppers in force (ids only, never a pepper) and how many unrevoked
// API keys still have hashes under each: a pepper may leave LATCHKEY_PEPPER once its count is 0.
import type { Store } from '../adapters/contract.ts';
import type { Settings } from '../config/settings.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';

export async function runPepperStatus(store: Store, settings: Settings): Promise<Record<string, unknown>> {
  const { pepper } = await loadKeyMaterial(settings, store, consoleLogger);
  const counts = await store.countApiKeyHashesByPepper();
  const ids = [...new Set([...pepper.ids, ...Object.keys(counts)])];
  return {
    object: 'pepper_status',
    given: settings.secrets.pepper !== undefined ? 'LATCHKEY_PEPPER' : 'generated and kept in the store',
    current: pepper.currentId,
    peppers: ids.map((id) => ({
      id,
      in_force: pepper.ids.includes(id),
      current: id === pepper.currentId,
      api_key_hashes: counts[id] ?? 0,
      may_be_retired: id !== pepper.currentId && (counts[id] ?? 0) === 0,
    })),
  };
}
