// An online backup of the embedded store: VACUUM INTO writes a consistent copy (one read transaction,
// so writes go on meanwhile and none is half in it) into a file created 0600 first, then the copy is
// opened read-only and checked, and what it holds is counted.
import { closeSync, openSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { BackupError, type BackupSummary } from '../contract.ts';
import type { Database, Row } from './database.ts';

/** Creates `file` empty and 0600, refusing one that exists: a backup never overwrites. */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new BackupError(`${file} exists; a backup never overwrites a file: name a new one`);
    throw new BackupError(`cannot create ${file}: ${(err as Error).message}`);
  }
}

export function backupSqlite(db: Database, file: string): BackupSummary {
  createPrivate(file);
  db.sql('VACUUM INTO ?').run(file);
  const copy = new DatabaseSync(file, { readOnly: true });
  try {
    const check = copy.prepare('PRAGMA quick_check').get() as Row;
    if (check.quick_check !== 'ok') throw new BackupError(`the copy at ${file} failed its check: ${String(check.quick_check)}`);
    const names = (copy.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Row[])
      .map((row) => String(row.name));
    const tables = Object.fromEntries(names.map((name) => [name, Number((copy.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as Row).n)]));
    const version = copy.prepare('SELECT max(version) AS v FROM schema_migrations').get() as Row;
    const keyMaterial = (copy.prepare('SELECT name FROM secrets ORDER BY name').all() as Row[]).map((row) => String(row.name));
    return { bytes: statSync(file).size, schemaVersion: Number(version.v), tables, keyMaterial };
  } finally {
    copy.close();
  }
}
