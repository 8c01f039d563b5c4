// Accounts, their users and their single-use links; what goes with a change (mails, links, audit
// events) is written in the change's transaction. An account and its first user are created together.
import type { ClientSession } from 'mongodb';
import type {
  AccountsAlong, AccountStore, NewAccount, NewUser, User, UserChange, UserToken, UserTokenPurpose,
} from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { guard, uniquely, type Connection } from './connection.ts';
import type { UserDocument, UserTokenDocument } from './documents.ts';
import { mailDocument } from './mail.ts';

/**
 * What a duplicate key in createAccount is about: the users' unique email index, or (a generated id
 * colliding) an `_id`.
 */
export const ACCOUNT_FIELDS = { email: 'email', _id: 'id' } as const;

export class MongoAccounts implements AccountStore {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async createAccount(account: NewAccount, owner: NewUser, along: AccountsAlong = {}): Promise<void> {
    await uniquely('email', () => this.#connection.transaction(async (session) => {
      await this.#connection.accounts().insertOne({ _id: account.id, name: account.name, createdAt: account.createdAt }, { session });
      await this.#connection.users().insertOne(userDocument(owner), { session });
      await this.#writeAlong(along, session);
    }), ACCOUNT_FIELDS);
  }

  async findAccount(id: string) {
    const doc = await guard(() => this.#connection.accounts().findOne({ _id: id }));
    return doc ? {
      id: doc._id, name: doc.name, createdAt: doc.createdAt,
      policy: { requireTwoFactor: doc.requireTwoFactor === true, liveAdminsOnly: doc.liveAdminsOnly === true },
    } : undefined;
  }

  async createUser(user: NewUser): Promise<void> {
    await uniquely('email', () => guard(() => this.#connection.users().insertOne(userDocument(user))), ACCOUNT_FIELDS);
  }

  async findUser(id: string) {
    const doc = await guard(() => this.#connection.users().findOne({ _id: id }));
    return doc ? toUser(doc) : undefined;
  }

  async findUserByEmail(email: string) {
    const doc = await guard(() => this.#connection.users().findOne({ email: email.toLowerCase() }));
    return doc ? toUser(doc) : undefined;
  }

  async listUsersWithTwoFactor(page: { limit: number; after?: string | undefined }) {
    if (page.limit <= 0) return [];
    const docs = await guard(() => this.#connection.users().find({ totp: { $ne: null }, _id: { $gt: page.after ?? '' } }).sort({ _id: 1 }).limit(page.limit).toArray());
    return docs.map(toUser);
  }

  async updateUser(userId: string, change: UserChange, along: AccountsAlong = {}): Promise<User | undefined> {
    return uniquely('email', () => this.#connection.transaction(async (session) => {
      const updated = await this.#applyChange(userId, change, session);
      if (updated) await this.#writeAlong(along, session);
      return updated;
    }), ACCOUNT_FIELDS);
  }

  async writeAlong(along: AccountsAlong): Promise<void> {
    await this.#connection.transaction((session) => this.#writeAlong(along, session));
  }

  async findUserToken(hash: string, purpose: UserTokenPurpose): Promise<UserToken | undefined> {
    const doc = await guard(() => this.#connection.userTokens().findOne({ _id: hash, purpose, usedAt: null, expiresAt: { $gt: new Date() } }));
    return doc ? toToken(doc) : undefined;
  }

  async useUserToken(hash: string, purpose: UserTokenPurpose, change: UserChange, along: AccountsAlong = {}): Promise<User | undefined> {
    return uniquely('email', () => this.#connection.transaction(async (session) => {
      const now = new Date();
      const token = await this.#connection.userTokens().findOneAndUpdate(
        { _id: hash, purpose, usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } }, { session },
      );
      if (!token) return undefined;
      // The user's other links for the same purpose die with this one.
      await this.#connection.userTokens().updateMany({ userId: token.userId, purpose, usedAt: null }, { $set: { usedAt: now } }, { session });
      const updated = await this.#applyChange(token.userId, change, session);
      if (updated) await this.#writeAlong(along, session);
      return updated;
    }), ACCOUNT_FIELDS);
  }

  async #applyChange(userId: string, change: UserChange, session: ClientSession): Promise<User | undefined> {
    const $set: Partial<UserDocument> = {};
    if (change.passwordHash !== undefined) $set.passwordHash = change.passwordHash;
    if (change.email !== undefined) $set.email = change.email.toLowerCase();
    if (change.emailVerifiedAt !== undefined) $set.emailVerifiedAt = change.emailVerifiedAt;
    if (change.totp !== undefined) $set.totp = change.totp ? { ...change.totp } : null;
    if (change.recoveryCodes !== undefined) $set.recoveryCodes = [...change.recoveryCodes];
    const doc = await this.#connection.users().findOneAndUpdate({ _id: userId }, { $set }, { session, returnDocument: 'after' });
    return doc ? toUser(doc) : undefined;
  }

  async #writeAlong(along: AccountsAlong, session: ClientSession): Promise<void> {
    await writeAccountsAlong(this.#connection, along, session);
  }
}

/** Writes what goes with a change (links, mails, events), inside the caller's transaction. */
export async function writeAccountsAlong(connection: Connection, along: AccountsAlong, session: ClientSession): Promise<void> {
  if (along.tokens?.length) await connection.userTokens().insertMany(along.tokens.map(tokenDocument), { session });
  if (along.mails?.length) await connection.mail().insertMany(along.mails.map(mailDocument), { session });
  for (const event of along.events ?? []) await insertAuditEvent(connection, event, session);
}

/** Emails are stored lower-cased, so the unique index compares them case-insensitively. */
export function userDocument(user: NewUser): UserDocument {
  return {
    _id: user.id, accountId: user.accountId, email: user.email.toLowerCase(), passwordHash: user.passwordHash, createdAt: user.createdAt,
    emailVerifiedAt: user.emailVerifiedAt ?? null, totp: null, recoveryCodes: [], role: user.role ?? 'owner',
  };
}

export function toUser(doc: UserDocument): User {
  return {
    id: doc._id, accountId: doc.accountId, email: doc.email, passwordHash: doc.passwordHash, createdAt: doc.createdAt,
    // A document from before version 9 that the migration has not reached yet counts as verified, as the migration would make it.
    emailVerifiedAt: doc.emailVerifiedAt === undefined ? doc.createdAt : doc.emailVerifiedAt ?? undefined,
    totp: doc.totp ?? undefined,
    recoveryCodes: doc.recoveryCodes ?? [],
    // Before version 10 every user made their account alone (the migration sets it so).
    role: doc.role ?? 'owner',
  };
}

function tokenDocument(token: UserToken): UserTokenDocument {
  return { _id: token.hash, userId: token.userId, purpose: token.purpose, email: token.email.toLowerCase(), createdAt: token.createdAt, expiresAt: token.expiresAt, usedAt: null };
}

function toToken(doc: UserTokenDocument): UserToken {
  return { hash: doc._id, userId: doc.userId, purpose: doc.purpose, email: doc.email, createdAt: doc.createdAt, expiresAt: doc.expiresAt };
}
