// `latchkey backup --out FILE`: a consistent copy of the embedded store while the server serves, and
// what it holds. Generated key material travels with it: the answer says so (docs/operations.md).
import { resolve } from 'node:path';
import { BackupError, type Store } from '../adapters/contract.ts';
import { whatACopyAllows } from '../server/keys.ts';

export async function runBackup(store: Store, out: string | undefined): Promise<Record<string, unknown>> {
  if (!out) throw new BackupError('missing --out FILE: where to write the copy (a new file; it is created 0600)');
  const file = resolve(out);
  const started = new Date();
  const summary = await store.backupTo(file);
  const allows = summary.keyMaterial.flatMap((name) => whatACopyAllows(name) ?? []);
  return {
    object: 'backup',
    file,
    bytes: summary.bytes,
    store: store.kind,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    schema_version: summary.schemaVersion,
    tables: summary.tables,
    key_material: summary.keyMaterial,
    ...(allows.length > 0 ? {
      warning: `this file holds generated key material (${summary.keyMaterial.join(', ')}). What whoever has it can do with each: `
        + `${allows.join('; ')}. Keep it as you keep the keys (docs/operations.md, "Backups")`,
    } : {}),
  };
}
