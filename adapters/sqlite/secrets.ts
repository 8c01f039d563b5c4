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
}
