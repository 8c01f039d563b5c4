// Partner API objects. One document id per record across partitions: an id can never reach another
// account's (or environment's) data. A change with records or an event along (RecordsAlong) is one
// transaction; without, one write.
import type { ClientSession, Collection } from 'mongodb';
import type { PartitionKey, PartnerDataStore, PartnerRecord, RecordKind, RecordsAlong } from '../contract.ts';
import type { RecordDocument } from './documents.ts';
import { guard, type Connection } from './connection.ts';
import { insertOutboxEvents } from './outbox.ts';
import { recordDocument, recordKey, toRecord } from './record-documents.ts';

const hasAlong = (along: RecordsAlong | undefined) => (along?.records?.length ?? 0) > 0 || along?.event !== undefined;

export class MongoRecords implements PartnerDataStore {
  readonly #connection: Connection;
  /** `records`, or a collection of the same documents (`webhooks`). */
  readonly #collection: () => Collection<RecordDocument>;

  constructor(connection: Connection, collection: () => Collection<RecordDocument> = () => connection.records()) {
    this.#connection = connection;
    this.#collection = collection;
  }

  async #storeAlong(along: RecordsAlong | undefined, session: ClientSession): Promise<void> {
    const records = along?.records ?? [];
    if (records.length > 0) await this.#connection.records().insertMany(records.map(recordDocument), { session });
    if (along?.event) await insertOutboxEvents(this.#connection, [along.event], session);
  }

  async insertRecord(record: PartnerRecord, along?: RecordsAlong): Promise<void> {
    if (!hasAlong(along)) {
      await guard(() => this.#collection().insertOne(recordDocument(record)));
      return;
    }
    await this.#connection.transaction(async (session) => {
      await this.#collection().insertOne(recordDocument(record), { session });
      await this.#storeAlong(along, session);
    });
  }

  async findRecord(p: PartitionKey, id: string) {
    const doc = await guard(() => this.#collection().findOne({ _id: recordKey(p, id) }));
    return doc ? toRecord(doc) : undefined;
  }

  async updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date, along?: RecordsAlong) {
    const update = (session?: ClientSession) => this.#collection().findOneAndUpdate(
      { _id: recordKey(p, id) }, { $set: { data, updatedAt: at } }, { returnDocument: 'after', ...(session ? { session } : {}) },
    );
    const doc = hasAlong(along)
      ? await this.#connection.transaction(async (session) => {
        const updated = await update(session);
        if (updated) await this.#storeAlong(along, session);
        return updated;
      })
      : await guard(() => update());
    return doc ? toRecord(doc) : undefined;
  }

  async deleteRecord(p: PartitionKey, id: string, along?: RecordsAlong): Promise<boolean> {
    if (!hasAlong(along)) {
      return (await guard(() => this.#collection().deleteOne({ _id: recordKey(p, id) }))).deletedCount === 1;
    }
    return this.#connection.transaction(async (session) => {
      const deleted = (await this.#collection().deleteOne({ _id: recordKey(p, id) }, { session })).deletedCount === 1;
      if (deleted) await this.#storeAlong(along, session);
      return deleted;
    });
  }

  async listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) {
    // MongoDB reads limit(0) as "no limit"; the contract means none.
    if (page.limit <= 0) return [];
    const docs = await guard(() => this.#collection()
      .find({ kind: p.kind, accountId: p.accountId, environment: p.environment, recordId: { $gt: page.after ?? '' } })
      .sort({ recordId: 1 }).limit(page.limit).toArray());
    return docs.map(toRecord);
  }

  async listAllRecords(kind: RecordKind, page: { limit: number; after?: string | undefined }) {
    if (page.limit <= 0) return [];
    const docs = await guard(() => this.#collection().find({ kind, recordId: { $gt: page.after ?? '' } }).sort({ recordId: 1 }).limit(page.limit).toArray());
    return docs.map(toRecord);
  }
}
