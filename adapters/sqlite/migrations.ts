// Schema versions of the embedded store. Each migration runs once, in order, at boot, inside one
// write transaction with the recording of its version: BEGIN IMMEDIATE takes SQLite's write lock,
// so when two instances boot together one applies and the other waits, then finds nothing to do.
// The versions themselves are in schema-versions.ts.
import { StoreSchemaError, type SchemaReport } from '../contract.ts';
import { whileLocked, type Database, type Row } from './database.ts';
import { MIGRATIONS } from './schema-versions.ts';

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export function currentVersion(db: Database): number {
  const row = db.sql('SELECT MAX(version) AS version FROM schema_migrations').get() as Row;
  return Number(row.version ?? 0);
}

/** Brings the file to SCHEMA_VERSION, in one transaction; refuses a file written by a newer Latchkey. */
export function migrate(db: Database, file: string): SchemaReport {
  return whileLocked(() => db.transactionNow(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
    )`);
    const current = currentVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new StoreSchemaError(`the data file ${file} has schema version ${current}, newer than this Latchkey knows `
        + `(${SCHEMA_VERSION}); run a newer Latchkey or restore a backup`);
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      applied.push(migration.version);
      try {
        db.exec(migration.sql);
      } catch (err) {
        throw new StoreSchemaError(`migration ${migration.version} (${migration.name}) failed on ${file}: `
          + `${(err as Error).message}; nothing was changed`, { cause: err });
      }
      db.sql('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, Date.now());
    }
    return { from: current, to: SCHEMA_VERSION, applied, indexesBuilt: [] };
  }));
}
