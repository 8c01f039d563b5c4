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

  async countClientSecretHashesByPepper(now: Date): Promise<Record<string, number>> {
    const rows = await guard(() => this.#connection.clients().aggregate<{ _id: string; n: number }>([
      { $match: { deletedAt: null } },
      { $unwind: '$secrets' },
      { $match: { 'secrets.revokedAt': null, $or: [{ 'secrets.expiresAt': null }, { 'secrets.expiresAt': { $gt: now } }] } },
      { $group: {
        _id: { $cond: [{ $gt: [{ $indexOfCP: ['$secrets.hash', ':'] }, 0] }, { $arrayElemAt: [{ $split: ['$secrets.hash', ':'] }, 0] }, '1'] },
        n: { $sum: 1 },
      } },
    ]).toArray());
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }

  async recordLeakReport(report: LeakReport): Promise<void> {
    const { id, ...rest } = report;
    await guard(() => this.#connection.leakReports().insertOne({ ...rest, _id: id, origin: report.origin ?? null }));
  }
}
