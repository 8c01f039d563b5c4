// The mail outbox: mails written with the change that causes them, then leased to a sender, retried,
// and kept a while once finished (the sweep deletes them after MAIL_KEPT_MS).
import type { MailStore, OutgoingMail, QueuedMail } from '../contract.ts';
import type { Database, Row } from './database.ts';

/** Finished mails are kept this long (for the development mailbox and support), then swept. */
export const MAIL_KEPT_MS = 7 * 24 * 3600 * 1000;

export function insertMail(db: Database, mail: OutgoingMail): void {
  db.sql('INSERT INTO mail_outbox (id, recipient, template, sealed, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(mail.id, mail.to, mail.template, mail.sealed, mail.createdAt.getTime(), mail.createdAt.getTime());
}

function toMail(row: Row): QueuedMail {
  return {
    id: String(row.id), to: String(row.recipient), template: String(row.template), sealed: String(row.sealed),
    createdAt: new Date(Number(row.created_at)), status: String(row.status) as QueuedMail['status'], attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)), lastError: row.last_error === null ? undefined : String(row.last_error),
  };
}

export class SqliteMail implements MailStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async claimMails(owner: string, now: Date, limit: number, leaseSeconds: number): Promise<QueuedMail[]> {
    return this.#db.transaction(() => {
      const due = this.#db.sql(`
        SELECT * FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ?
      `).all(now.getTime(), now.getTime(), Math.max(0, limit)) as Row[];
      const leaseUntil = now.getTime() + leaseSeconds * 1000;
      for (const row of due) this.#db.sql('UPDATE mail_outbox SET lease_owner = ?, lease_until = ? WHERE id = ?').run(owner, leaseUntil, String(row.id));
      return due.map(toMail);
    });
  }

  async finishMail(id: string, owner: string, outcome: Parameters<MailStore['finishMail']>[2]): Promise<boolean> {
    const at = outcome.at.getTime();
    const finished = outcome.status === 'pending' ? null : at;
    const changed = this.#db.sql(`
      UPDATE mail_outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at),
        finished_at = ?, lease_owner = NULL, lease_until = NULL
      WHERE id = ? AND lease_owner = ? AND status = 'pending'
    `).run(outcome.status, outcome.error ?? null, outcome.nextAttemptAt?.getTime() ?? null, finished, id, owner).changes;
    return Number(changed) === 1;
  }

  async listMails(limit: number): Promise<QueuedMail[]> {
    return (this.#db.sql('SELECT * FROM mail_outbox ORDER BY id DESC LIMIT ?').all(Math.max(0, limit)) as Row[]).map(toMail);
  }

  async listPendingMails(page: { limit: number; after?: string | undefined }): Promise<QueuedMail[]> {
    const rows = this.#db.sql("SELECT * FROM mail_outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?").all(page.after ?? '', Math.max(0, page.limit)) as Row[];
    return rows.map(toMail);
  }

  async resealMail(id: string, expected: string, sealed: string): Promise<boolean> {
    return Number(this.#db.sql("UPDATE mail_outbox SET sealed = ? WHERE id = ? AND sealed = ? AND status = 'pending'").run(sealed, id, expected).changes) === 1;
  }

  /** Deletes mails finished long ago and links past their expiry; returns how many went. */
  sweep(now: number): number {
    const mails = this.#db.sql('DELETE FROM mail_outbox WHERE finished_at IS NOT NULL AND finished_at <= ?').run(now - MAIL_KEPT_MS).changes;
    const tokens = this.#db.sql('DELETE FROM user_tokens WHERE expires_at <= ?').run(now).changes;
    return Number(mails) + Number(tokens);
  }
}
