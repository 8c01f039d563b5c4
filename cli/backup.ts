// `latchkey backup --out FILE`: a consistent copy of the embedded store while the server serves, and
// what it holds. Generated key material travels with it: the answer says so (docs/operations.md).
import { resolve } from 'node:path';
import { BackupError, type Store } from '../adapters/contract.ts';

/** What a copy holding each kind of generated key material allows (server/keys.ts says the same at boot). */
const A_COPY_ALLOWS: Readonly<Record<string, string>> = {
  jwks: 'sign access and ID tokens that every resource server accepts',
  cookie_keys: 'sign cookies the server accepts',
  pepper: 'check guesses against the stored secret hashes offline',
};

export async function runBackup(store: Store, out: string | undefined): Promise<Record<string, unknown>> {
  if (!out) throw new BackupError('missing --out FILE: where to write the copy (a new file; it is created 0600)');
  const file = resolve(out);
  const started = new Date();
  const summary = await store.backupTo(file);
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
    ...(summary.keyMaterial.length > 0 ? {
      warning: `this file holds generated key material (${summary.keyMaterial.join(', ')}): whoever has it can `
        + `${summary.keyMaterial.map((name) => A_COPY_ALLOWS[name] ?? name).join('; ')}. Keep it as you keep the keys `
        + '(docs/operations.md, "Backups")',
    } : {}),
  };
}
