// Partner API objects, partitioned by kind, account and environment (and webhooks, in a table of
// their own with the same columns). A change may carry records and a
// webhook event along (RecordsAlong): stored in its transaction, or not at all.
import type { PartitionKey, PartnerDataStore, PartnerRecord, RecordKind, RecordsAlong } from '../contract.ts';
import type { Database, Row } from './database.ts';
import { insertOutboxEvents } from './outbox.ts';

function toRecord(row: Row): PartnerRecord {
  return {
    id: String(row.id), kind: String(row.kind) as PartnerRecord['kind'], accountId: String(row.account_id),
    environment: String(row.environment) as PartnerRecord['environment'], data: JSON.parse(String(row.data)) as Record<string, unknown>,
    createdAt: new Date(Number(row.created_at)), updatedAt: new Date(Number(row.updated_at)),
  };
}

export class SqliteRecords implements PartnerDataStore {
  readonly #db: Database;
  /** `records`, or a table of the same columns (`webhooks`). */
  readonly #table: string;
  constructor(db: Database, table: 'records' | 'webhooks' = 'records') {
    this.#db = db;
    this.#table = table;
  }

  #insert(record: PartnerRecord): void {
    this.#db.sql(`INSERT INTO ${this.#table} (kind, account_id, environment, id, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(record.kind, record.accountId, record.environment, record.id, JSON.stringify(record.data),
        record.createdAt.getTime(), record.updatedAt.getTime());
  }

  #storeAlong(along: RecordsAlong | undefined): void {
    for (const record of along?.records ?? []) this.#insert(record);
    if (along?.event) insertOutboxEvents(this.#db, [along.event]);
  }

  async insertRecord(record: PartnerRecord, along?: RecordsAlong): Promise<void> {
    this.#db.transaction(() => {
      this.#insert(record);
      this.#storeAlong(along);
    });
  }

  async findRecord(p: PartitionKey, id: string) {
    const row = this.#db.sql(`SELECT * FROM ${this.#table} WHERE kind = ? AND account_id = ? AND environment = ? AND id = ?`)
      .get(p.kind, p.accountId, p.environment, id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date, along?: RecordsAlong) {
    return this.#db.transaction(() => {
      const row = this.#db.sql(`
        UPDATE ${this.#table} SET data = ?, updated_at = ? WHERE kind = ? AND account_id = ? AND environment = ? AND id = ? RETURNING *
      `).get(JSON.stringify(data), at.getTime(), p.kind, p.accountId, p.environment, id) as Row | undefined;
      if (!row) return undefined;
      this.#storeAlong(along);
      return toRecord(row);
    });
  }

  async deleteRecord(p: PartitionKey, id: string, along?: RecordsAlong): Promise<boolean> {
    return this.#db.transaction(() => {
      const deleted = this.#db.sql(`DELETE FROM ${this.#table} WHERE kind = ? AND account_id = ? AND environment = ? AND id = ?`)
        .run(p.kind, p.accountId, p.environment, id).changes === 1;
      if (deleted) this.#storeAlong(along);
      return deleted;
    });
  }

  async listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) {
    return (this.#db.sql(`
      SELECT * FROM ${this.#table} WHERE kind = ? AND account_id = ? AND environment = ? AND id > ? ORDER BY id LIMIT ?
    `).all(p.kind, p.accountId, p.environment, page.after ?? '', Math.max(0, page.limit)) as Row[]).map(toRecord);
  }

  async listAllRecords(kind: RecordKind, page: { limit: number; after?: string | undefined }) {
    return (this.#db.sql(`SELECT * FROM ${this.#table} WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`)
      .all(kind, page.after ?? '', Math.max(0, page.limit)) as Row[]).map(toRecord);
  }
}
