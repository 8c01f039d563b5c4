// The embedded store's credentials generation: a row of the counters table, moved by the
// transaction of each credential change; this process's listeners run once that transaction commits.
import { CredentialsListeners } from '../credentials-changes.ts';
import type { Database, Row } from './database.ts';

const GENERATION_KEY = 'credentials-generation';
/** A window that never ends in practice, so the counters' sweep leaves the row alone. */
const NEVER_MS = 100 * 365 * 24 * 3600 * 1000;

const listeners = new WeakMap<Database, CredentialsListeners>();

export function credentialsListenersOf(db: Database): CredentialsListeners {
  let found = listeners.get(db);
  if (!found) {
    found = new CredentialsListeners();
    listeners.set(db, found);
  }
  return found;
}

/** Inside the change's transaction: the generation moves with it, or not at all. */
export function markCredentialsChanged(db: Database): void {
  db.sql(`
    INSERT INTO counters (key, count, reset_at) VALUES (?, 1, ?)
    ON CONFLICT (key) DO UPDATE SET count = count + 1, reset_at = MAX(reset_at, excluded.reset_at)
  `).run(GENERATION_KEY, Date.now() + NEVER_MS);
  const own = credentialsListenersOf(db);
  db.afterCommit(() => own.notify());
}

export function readCredentialsGeneration(db: Database): string {
  const row = db.sql('SELECT count FROM counters WHERE key = ?').get(GENERATION_KEY) as Row | undefined;
  return row ? String(row.count) : 'none';
}
