// A lease: one named document that one instance holds for a while and renews. A holder that dies
// stops renewing, its lease ends, and another instance takes it over. Every takeover raises the
// lease's term, and a holder renews only while owner and term are still its own, so a holder that
// was paused or cut off past its lease learns at its next renewal that it lost it, and stops: the
// fencing the migration lock needs (issue 21, defect 7), and what lets one instance sweep at a time.
// The documents live in `schema_lock`, the collection the first release's migration lock used, so a
// previous release migrating during a rolling upgrade and this one see the same lock.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './connection.ts';
import { COLLECTIONS, type LockDocument } from './documents.ts';

/** Whether a lease document is free to take: none, or its time is up. */
export function leaseIsFree(lease: Pick<LockDocument, 'expiresAt'> | null, now: Date): boolean {
  return lease === null || lease.expiresAt.getTime() <= now.getTime();
}

export class Lease {
  readonly owner = randomUUID();
  readonly #collection: Collection<LockDocument>;
  readonly #name: string;
  readonly #durationMs: number;
  /** The term this holder took; 0 while it holds nothing. */
  #term = 0;

  constructor(db: Db, name: string, durationMs: number) {
    this.#collection = db.collection<LockDocument>(COLLECTIONS.lock);
    this.#name = name;
    this.#durationMs = durationMs;
  }

  get held(): boolean { return this.#term > 0; }

  /**
   * Takes the lease if it is free, or keeps it if this holder still has it; false while another
   * instance holds it. Of several instances racing for a free lease, exactly one gets it.
   */
  async acquire(): Promise<boolean> {
    if (this.held && await this.renew()) return true;
    const now = new Date();
    try {
      await this.#collection.insertOne({ _id: this.#name, owner: this.owner, term: 1, since: now, expiresAt: this.#end(now) });
      this.#term = 1;
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // Conditional on the ended lease: the update is atomic, so one waiter takes it over.
    const taken = await this.#collection.findOneAndUpdate(
      { _id: this.#name, expiresAt: { $lte: now } },
      { $set: { owner: this.owner, since: now, expiresAt: this.#end(now) }, $inc: { term: 1 } },
      { returnDocument: 'after' },
    );
    this.#term = taken?.term ?? 0;
    return this.held;
  }

  /** Extends the lease; false (and the lease counts as lost) when another instance has taken it over. */
  async renew(): Promise<boolean> {
    if (!this.held) return false;
    const renewed = await this.#collection.updateOne(
      { _id: this.#name, owner: this.owner, term: this.#term },
      { $set: { expiresAt: this.#end(new Date()) } },
    );
    if (renewed.matchedCount === 0) this.#term = 0;
    return this.held;
  }

  /** Gives the lease up at once, so the next instance need not wait for it to end. */
  async release(): Promise<void> {
    if (!this.held) return;
    const term = this.#term;
    this.#term = 0;
    await this.#collection.deleteOne({ _id: this.#name, owner: this.owner, term });
  }

  /** Who holds the lease now, if anyone: for the messages of those waiting. */
  holder(): Promise<LockDocument | null> {
    return this.#collection.findOne({ _id: this.#name });
  }

  #end(now: Date): Date { return new Date(now.getTime() + this.#durationMs); }
}
