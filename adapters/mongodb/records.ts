// Partner API objects. One document id per record across partitions: an id can never reach another
// account's (or environment's) data.
import type { PartitionKey, PartnerDataStore, PartnerRecord } from '../contract.ts';
import { guard, type Connection, type RecordDocument } from './connection.ts';

export class MongoRecords implements PartnerDataStore {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async insertRecord(record: PartnerRecord): Promise<void> {
    const { id, ...rest } = record;
    await guard(() => this.#connection.records().insertOne({ ...rest, _id: recordKey(record, id), recordId: id }));
  }

  async findRecord(p: PartitionKey, id: string) {
    const doc = await guard(() => this.#connection.records().findOne({ _id: recordKey(p, id) }));
    return doc ? toRecord(doc) : undefined;
  }

  async updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date) {
    const doc = await guard(() => this.#connection.records().findOneAndUpdate(
      { _id: recordKey(p, id) }, { $set: { data, updatedAt: at } }, { returnDocument: 'after' },
    ));
    return doc ? toRecord(doc) : undefined;
  }

  async deleteRecord(p: PartitionKey, id: string): Promise<boolean> {
    return (await guard(() => this.#connection.records().deleteOne({ _id: recordKey(p, id) }))).deletedCount === 1;
  }

  async listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) {
    // MongoDB reads limit(0) as "no limit"; the contract means none.
    if (page.limit <= 0) return [];
    const docs = await guard(() => this.#connection.records()
      .find({ kind: p.kind, accountId: p.accountId, environment: p.environment, recordId: { $gt: page.after ?? '' } })
      .sort({ recordId: 1 }).limit(page.limit).toArray());
    return docs.map(toRecord);
  }
}

function recordKey(p: PartitionKey, id: string): string {
  return `${p.kind}/${p.accountId}/${p.environment}/${id}`;
}

function toRecord(doc: RecordDocument): PartnerRecord {
  return {
    id: doc.recordId, kind: doc.kind, accountId: doc.accountId, environment: doc.environment,
    data: doc.data, createdAt: doc.createdAt, updatedAt: doc.updatedAt,
  };
}
