// Fixed-window counters for the rate limits. One findOneAndUpdate each, with an update pipeline that
// starts a new window when the old one has ended: atomic, so parallel hits never share a count.
import type { Counter, CounterStore } from '../contract.ts';
import { guard, isDuplicateKey, type Connection } from './connection.ts';

export class MongoCounters implements CounterStore {
  readonly #connection: Connection;
  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async hitCounter(key: string, windowSeconds: number): Promise<Counter> {
    const now = new Date();
    const open = { $gt: ['$resetAt', now] };
    const hit = () => this.#connection.counters().findOneAndUpdate(
      { _id: key },
      [{ $set: {
        count: { $cond: [open, { $add: ['$count', 1] }, 1] },
        resetAt: { $cond: [open, '$resetAt', new Date(now.getTime() + windowSeconds * 1000)] },
      } }],
      { upsert: true, returnDocument: 'after' },
    );
    // Two first hits racing to insert: one wins, the other meets the duplicate key and updates.
    const doc = await guard(async () => {
      try {
        return await hit();
      } catch (err) {
        if (isDuplicateKey(err)) return hit();
        throw err;
      }
    });
    if (!doc) throw new Error(`counter "${key}" vanished right after it was written`);
    return { count: doc.count, resetAt: doc.resetAt };
  }

  async readCounter(key: string): Promise<Counter | undefined> {
    const doc = await guard(() => this.#connection.counters().findOne({ _id: key, resetAt: { $gt: new Date() } }));
    return doc ? { count: doc.count, resetAt: doc.resetAt } : undefined;
  }

  async resetCounter(key: string): Promise<void> {
    await guard(() => this.#connection.counters().deleteOne({ _id: key }));
  }
}
