// Accounts (customer organisations), their users, their single-use links, and what goes with a change
// to them (mails, links, audit events) in the change's transaction.
import type { Account, NewAccount, AccountsAlong, AccountStore, NewUser, TotpState, User, UserChange, UserToken, UserTokenPurpose } from '../contract.ts';
import { isRole } from '../../config/roles.ts';
import { insertAuditEvent } from './audit.ts';
import { uniquely, type Database, type Row } from './database.ts';
import { insertMail } from './mail.ts';

function toAccount(row: Row): Account {
  return {
    id: String(row.id), name: String(row.name), createdAt: new Date(Number(row.created_at)),
    policy: { requireTwoFactor: Number(row.require_two_factor ?? 0) === 1, liveAdminsOnly: Number(row.live_admins_only ?? 0) === 1 },
  };
}

function toTotp(value: unknown): TotpState | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = JSON.parse(value) as { sealedSecret: string; enabledAt: number; lastStep: number };
  return { sealedSecret: parsed.sealedSecret, enabledAt: new Date(parsed.enabledAt), lastStep: parsed.lastStep };
}

export function toUser(row: Row): User {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    createdAt: new Date(Number(row.created_at)),
    emailVerifiedAt: row.email_verified_at === null || row.email_verified_at === undefined ? undefined : new Date(Number(row.email_verified_at)),
    totp: toTotp(row.totp),
    recoveryCodes: JSON.parse(String(row.recovery_codes ?? '[]')) as string[],
    role: isRole(row.role) ? row.role : 'viewer',
  };
}

function toToken(row: Row): UserToken {
  return {
    hash: String(row.hash), userId: String(row.user_id), purpose: String(row.purpose) as UserTokenPurpose, email: String(row.email),
    createdAt: new Date(Number(row.created_at)), expiresAt: new Date(Number(row.expires_at)),
  };
}

export class SqliteAccounts implements AccountStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async createAccount(account: NewAccount, owner: NewUser, along: AccountsAlong = {}): Promise<void> {
    this.#db.transaction(() => {
      this.#db.sql('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)')
        .run(account.id, account.name, account.createdAt.getTime());
      this.#insertUser(owner);
      this.#writeAlong(along);
    });
  }

  async findAccount(id: string) {
    const row = this.#db.sql('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return row ? toAccount(row) : undefined;
  }

  async createUser(user: NewUser): Promise<void> {
    this.#insertUser(user);
  }

  #insertUser(user: NewUser): void {
    insertUser(this.#db, user);
  }

  async findUser(id: string) {
    const row = this.#db.sql('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  async findUserByEmail(email: string) {
    const row = this.#db.sql('SELECT * FROM users WHERE email = ?').get(email.toLowerCase()) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  async listUsersWithTwoFactor(page: { limit: number; after?: string | undefined }) {
    return (this.#db.sql('SELECT * FROM users WHERE totp IS NOT NULL AND id > ? ORDER BY id LIMIT ?')
      .all(page.after ?? '', Math.max(0, page.limit)) as Row[]).map(toUser);
  }

  async updateUser(userId: string, change: UserChange, along: AccountsAlong = {}): Promise<User | undefined> {
    return this.#db.transaction(() => {
      const updated = this.#applyChange(userId, change);
      if (updated) this.#writeAlong(along);
      return updated;
    });
  }

  async writeAlong(along: AccountsAlong): Promise<void> {
    this.#db.transaction(() => this.#writeAlong(along));
  }

  async findUserToken(hash: string, purpose: UserTokenPurpose): Promise<UserToken | undefined> {
    const row = this.#db.sql('SELECT * FROM user_tokens WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?')
      .get(hash, purpose, Date.now()) as Row | undefined;
    return row ? toToken(row) : undefined;
  }

  async useUserToken(hash: string, purpose: UserTokenPurpose, change: UserChange, along: AccountsAlong = {}): Promise<User | undefined> {
    return this.#db.transaction(() => {
      const now = Date.now();
      const row = this.#db.sql(`
        UPDATE user_tokens SET used_at = ? WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id
      `).get(now, hash, purpose, now) as Row | undefined;
      if (!row) return undefined;
      const userId = String(row.user_id);
      // The user's other links for the same purpose die with this one: the newest mail is not the only way in.
      this.#db.sql('UPDATE user_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL').run(now, userId, purpose);
      const updated = this.#applyChange(userId, change);
      if (updated) this.#writeAlong(along);
      return updated;
    });
  }

  /** Sets what the change names; the user after, or undefined when there is none. */
  #applyChange(userId: string, change: UserChange): User | undefined {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    const set = (column: string, value: string | number | null) => { sets.push(`${column} = ?`); values.push(value); };
    if (change.passwordHash !== undefined) set('password_hash', change.passwordHash);
    if (change.email !== undefined) set('email', change.email.toLowerCase());
    if (change.emailVerifiedAt !== undefined) set('email_verified_at', change.emailVerifiedAt.getTime());
    if (change.totp !== undefined) set('totp', totpColumn(change.totp ?? undefined));
    if (change.recoveryCodes !== undefined) set('recovery_codes', JSON.stringify(change.recoveryCodes));
    if (sets.length > 0) {
      uniquely('email', () => this.#db.sql(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...values, userId));
    }
    const row = this.#db.sql('SELECT * FROM users WHERE id = ?').get(userId) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  #writeAlong(along: AccountsAlong): void {
    writeAccountsAlong(this.#db, along);
  }
}

/** Inserts a user; DuplicateError (through `uniquely`) when the email is taken. */
export function insertUser(db: Database, user: NewUser): void {
  uniquely('email', () => db.sql(`
    INSERT INTO users (id, account_id, email, password_hash, created_at, email_verified_at, totp, recovery_codes, role)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  `).run(user.id, user.accountId, user.email.toLowerCase(), user.passwordHash, user.createdAt.getTime(),
    user.emailVerifiedAt?.getTime() ?? null, null, '[]', user.role ?? 'owner'));
}

/** Writes what goes with a change (links, mails, events), inside the caller's transaction. */
export function writeAccountsAlong(db: Database, along: AccountsAlong): void {
  for (const token of along.tokens ?? []) {
    db.sql('INSERT INTO user_tokens (hash, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(token.hash, token.userId, token.purpose, token.email.toLowerCase(), token.createdAt.getTime(), token.expiresAt.getTime());
  }
  for (const mail of along.mails ?? []) insertMail(db, mail);
  for (const event of along.events ?? []) insertAuditEvent(db, event);
}

function totpColumn(totp: TotpState | undefined): string | null {
  return totp ? JSON.stringify({ sealedSecret: totp.sealedSecret, enabledAt: totp.enabledAt.getTime(), lastStep: totp.lastStep }) : null;
}
