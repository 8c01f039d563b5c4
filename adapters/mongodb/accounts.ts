// Accounts and their users. An account and its first user are created in one transaction.
import type { Account, AccountStore, User } from '../contract.ts';
import { guard, uniquely, type Connection } from './connection.ts';
import type { UserDocument } from './documents.ts';

/**
 * What a duplicate key in createAccount is about: the users' unique email index, or (a generated id
 * colliding) an `_id`.
 */
const ACCOUNT_FIELDS = { email: 'email', _id: 'id' } as const;

export class MongoAccounts implements AccountStore {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async createAccount(account: Account, owner: User): Promise<void> {
    await uniquely('email', () => this.#connection.transaction(async (session) => {
      await this.#connection.accounts().insertOne({ _id: account.id, name: account.name, createdAt: account.createdAt }, { session });
      await this.#connection.users().insertOne(userDocument(owner), { session });
    }), ACCOUNT_FIELDS);
  }

  async findAccount(id: string) {
    const doc = await guard(() => this.#connection.accounts().findOne({ _id: id }));
    return doc ? { id: doc._id, name: doc.name, createdAt: doc.createdAt } : undefined;
  }

  async createUser(user: User): Promise<void> {
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
}

/** Emails are stored lower-cased, so the unique index compares them case-insensitively. */
function userDocument(user: User): UserDocument {
  return { _id: user.id, accountId: user.accountId, email: user.email.toLowerCase(), passwordHash: user.passwordHash, createdAt: user.createdAt };
}

function toUser(doc: UserDocument): User {
  return { id: doc._id, accountId: doc.accountId, email: doc.email, passwordHash: doc.passwordHash, createdAt: doc.createdAt };
}
