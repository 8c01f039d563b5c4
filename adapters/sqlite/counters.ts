// Fixed-window counters for the rate limits. One statement each: an upsert that starts a new
// window when the old one has ended, and returns the count, so parallel hits never share a count.
import type { Counter, CounterStore } from '../contract.ts';
import type { Database, Row } from './database.ts';

const toCounter = (row: Row): Counter => ({ count: Number(row.count), resetAt: new Date(Number(row.reset_at)) });

export class SqliteCounters implements CounterStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async hitCounter(key: string, windowSeconds: number): Promise<Counter> {
    const now = Date.now();
    const row = this.#db.sql(`
      INSERT INTO counters (key, count, reset_at) VALUES (?, 1, ?)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN reset_at <= ? THEN 1 ELSE count + 1 END,
        reset_at = CASE WHEN reset_at <= ? THEN excluded.reset_at ELSE reset_at END
      RETURNING count, reset_at
    `).get(key, now + windowSeconds * 1000, now, now) as Row;
    return toCounter(row);
  }

  async readCounter(key: string): Promise<Counter | undefined> {
    const row = this.#db.sql('SELECT count, reset_at FROM counters WHERE key = ? AND reset_at > ?').get(key, Date.now()) as Row | undefined;
    return row ? toCounter(row) : undefined;
  }

  async resetCounter(key: string): Promise<void> {
    this.#db.sql('DELETE FROM counters WHERE key = ?').run(key);
  }

  /** Deletes ended windows; returns how many. */
  sweep(now: number): number {
    return Number(this.#db.sql('DELETE FROM counters WHERE reset_at <= ?').run(now).changes);
  }
}
