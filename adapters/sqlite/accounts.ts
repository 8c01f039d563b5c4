// Accounts (customer organisations) and their users.
import type { Account, AccountStore, User } from '../contract.ts';
import { uniquely, type Database, type Row } from './database.ts';

function toAccount(row: Row): Account {
  return { id: String(row.id), name: String(row.name), createdAt: new Date(Number(row.created_at)) };
}

function toUser(row: Row): User {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    createdAt: new Date(Number(row.created_at)),
  };
}

export class SqliteAccounts implements AccountStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async createAccount(account: Account, owner: User): Promise<void> {
    this.#db.transaction(() => {
      this.#db.sql('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)')
        .run(account.id, account.name, account.createdAt.getTime());
      this.#insertUser(owner);
    });
  }

  async findAccount(id: string) {
    const row = this.#db.sql('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return row ? toAccount(row) : undefined;
  }

  async createUser(user: User): Promise<void> {
    this.#insertUser(user);
  }

  #insertUser(user: User): void {
    uniquely('email', () => this.#db.sql('INSERT INTO users (id, account_id, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(user.id, user.accountId, user.email.toLowerCase(), user.passwordHash, user.createdAt.getTime()));
  }

  async findUser(id: string) {
    const row = this.#db.sql('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  async findUserByEmail(email: string) {
    const row = this.#db.sql('SELECT * FROM users WHERE email = ?').get(email.toLowerCase()) as Row | undefined;
    return row ? toUser(row) : undefined;
  }
}
