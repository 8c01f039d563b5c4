// The mail outbox: mails written with the change that causes them (accounts.ts), leased to a sender,
// retried, and removed by the TTL index a week after they finished.
import type { MailStore, OutgoingMail, QueuedMail } from '../contract.ts';
import { guard, type Connection } from './connection.ts';
import type { MailDocument } from './documents.ts';

export function mailDocument(mail: OutgoingMail): MailDocument {
  return {
    _id: mail.id, to: mail.to, template: mail.template, sealed: mail.sealed, createdAt: mail.createdAt, status: 'pending',
    attempts: 0, nextAttemptAt: mail.createdAt, leaseOwner: null, leaseUntil: null, lastError: null, finishedAt: null,
  };
}

function toMail(doc: MailDocument): QueuedMail {
  return {
    id: doc._id, to: doc.to, template: doc.template, sealed: doc.sealed, createdAt: doc.createdAt, status: doc.status,
    attempts: doc.attempts, nextAttemptAt: doc.nextAttemptAt, lastError: doc.lastError ?? undefined,
  };
}

export class MongoMail implements MailStore {
  readonly #c: Connection;
  constructor(connection: Connection) {
    this.#c = connection;
  }

  /** Each mail is leased by a conditional update, so two workers never take the same one. */
  async claimMails(owner: string, now: Date, limit: number, leaseSeconds: number): Promise<QueuedMail[]> {
    if (limit <= 0) return [];
    const due = { status: 'pending' as const, nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] };
    const candidates = await guard(() => this.#c.mail().find(due, { projection: { _id: 1 } }).sort({ nextAttemptAt: 1, _id: 1 }).limit(limit).toArray());
    const claimed: QueuedMail[] = [];
    for (const { _id } of candidates) {
      const doc = await guard(() => this.#c.mail().findOneAndUpdate(
        { _id, ...due }, { $set: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseSeconds * 1000) } }, { returnDocument: 'after' },
      ));
      if (doc) claimed.push(toMail(doc));
    }
    return claimed;
  }

  async finishMail(id: string, owner: string, outcome: Parameters<MailStore['finishMail']>[2]): Promise<boolean> {
    const updated = await guard(() => this.#c.mail().updateOne({ _id: id, leaseOwner: owner, status: 'pending' }, {
      $set: {
        status: outcome.status, lastError: outcome.error ?? null, leaseOwner: null, leaseUntil: null,
        finishedAt: outcome.status === 'pending' ? null : outcome.at,
        ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
      },
      $inc: { attempts: 1 },
    }));
    return updated.matchedCount === 1;
  }

  async listMails(limit: number): Promise<QueuedMail[]> {
    if (limit <= 0) return [];
    return (await guard(() => this.#c.mail().find({}).sort({ _id: -1 }).limit(limit).toArray())).map(toMail);
  }

  async listPendingMails(page: { limit: number; after?: string | undefined }): Promise<QueuedMail[]> {
    if (page.limit <= 0) return [];
    const filter = { status: 'pending' as const, ...(page.after === undefined ? {} : { _id: { $gt: page.after } }) };
    return (await guard(() => this.#c.mail().find(filter).sort({ _id: 1 }).limit(page.limit).toArray())).map(toMail);
  }

  async resealMail(id: string, expected: string, sealed: string): Promise<boolean> {
    return (await guard(() => this.#c.mail().updateOne({ _id: id, sealed: expected, status: 'pending' }, { $set: { sealed } }))).matchedCount === 1;
  }
}
