// Leak intake's store side: a client found by any listed secret's hash (the multikey secretsHash
// index), and the record of each report.
import type { ClientRecord, LeakReport, LeakStore } from '../contract.ts';
import { toClient } from './client-documents.ts';
import { guard, type Connection } from './connection.ts';

export class MongoLeaks implements LeakStore {
  readonly #connection: Connection;
  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async findClientBySecretHash(hash: string): Promise<ClientRecord | undefined> {
    // A client being deleted (deletedAt set) is gone, as for every other read.
    const doc = await guard(() => this.#connection.clients().findOne({ 'secrets.hash': hash, deletedAt: null }));
    return doc ? toClient(doc) : undefined;
  }

  async recordLeakReport(report: LeakReport): Promise<void> {
    const { id, ...rest } = report;
    await guard(() => this.#connection.leakReports().insertOne({ ...rest, _id: id, origin: report.origin ?? null }));
  }
}
