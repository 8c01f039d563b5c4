// Leak intake's store side: a client found by any listed secret's hash (client_secret_hashes, kept in
// step by the client writes), and the record of each report.
import type { ClientRecord, LeakReport, LeakStore } from '../contract.ts';
import type { Database, Row } from './database.ts';

/** Replaces a client's rows in client_secret_hashes with its current secrets; inside the client's transaction. */
export function indexSecretHashes(db: Database, client: ClientRecord): void {
  db.sql('DELETE FROM client_secret_hashes WHERE client_id = ?').run(client.id);
  for (const secret of client.secrets) {
    db.sql('INSERT INTO client_secret_hashes (hash, client_id) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING').run(secret.hash, client.id);
  }
}

export class SqliteLeaks implements LeakStore {
  readonly #db: Database;
  readonly #findClient: (id: string) => Promise<ClientRecord | undefined>;
  constructor(db: Database, findClient: (id: string) => Promise<ClientRecord | undefined>) {
    this.#db = db;
    this.#findClient = findClient;
  }

  async findClientBySecretHash(hash: string): Promise<ClientRecord | undefined> {
    const row = this.#db.sql('SELECT client_id FROM client_secret_hashes WHERE hash = ?').get(hash) as Row | undefined;
    return row ? this.#findClient(String(row.client_id)) : undefined;
  }

  async countClientSecretHashesByPepper(now: Date): Promise<Record<string, number>> {
    const rows = this.#db.sql(`
      SELECT CASE WHEN instr(h, ':') > 0 THEN substr(h, 1, instr(h, ':') - 1) ELSE '1' END AS pepper, count(*) AS n FROM (
        SELECT json_extract(s.value, '$.hash') AS h FROM clients c, json_each(c.secrets) s
        WHERE json_extract(s.value, '$.revokedAt') IS NULL
          AND (json_extract(s.value, '$.expiresAt') IS NULL OR json_extract(s.value, '$.expiresAt') > ?)
      ) GROUP BY pepper`).all(now.getTime()) as Row[];
    return Object.fromEntries(rows.map((row) => [String(row.pepper), Number(row.n)]));
  }

  async recordLeakReport(report: LeakReport): Promise<void> {
    this.#db.sql('INSERT INTO leak_reports (id, source, received_at, reported, matched, origin) VALUES (?, ?, ?, ?, ?, ?)')
      .run(report.id, report.source, report.receivedAt.getTime(), report.reported, report.matched, report.origin ?? null);
  }
}
