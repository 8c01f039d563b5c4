// Server-wide secrets (signing keys, cookie keys, pepper) shared by every instance on the file.
import type { SecretStore } from '../contract.ts';
import type { Database, Row } from './database.ts';

export class SqliteSecrets implements SecretStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    this.#db.sql('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, candidate);
    const row = this.#db.sql('SELECT value FROM secrets WHERE name = ?').get(name) as Row;
    return String(row.value);
  }

  async findSecret(name: string): Promise<string | undefined> {
    const row = this.#db.sql('SELECT value FROM secrets WHERE name = ?').get(name) as Row | undefined;
    return row ? String(row.value) : undefined;
  }

  async replaceSecret(name: string, expected: string | undefined, value: string): Promise<boolean> {
    const result = expected === undefined
      ? this.#db.sql('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, value)
      : this.#db.sql('UPDATE secrets SET value = ? WHERE name = ? AND value = ?').run(value, name, expected);
    return Number(result.changes) === 1;
  }
}
