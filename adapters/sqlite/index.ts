// The embedded store: one node:sqlite file in DATA_DIR, WAL mode, nothing to install. One file per
// domain (accounts, clients, API keys and audit, Partner records, secrets, oidc-provider models and
// grants), composed here behind the Store contract; the schema is versioned (migrations.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Account, ApiKeyRecord, AuditEvent, ClientRecord, PartitionKey, PartnerRecord, Store, User,
} from '../contract.ts';
import { SqliteAccounts } from './accounts.ts';
import { SqliteApiKeys } from './api-keys.ts';
import { SqliteClients } from './clients.ts';
import { Database } from './database.ts';
import { currentVersion, migrate } from './migrations.ts';
import { SqliteOidcStore } from './oidc.ts';
import { SqliteRecords } from './records.ts';
import { SqliteSecrets } from './secrets.ts';

export class SqliteStore implements Store {
  readonly kind = 'embedded';
  readonly description: string;
  readonly oidc: SqliteOidcStore;
  readonly #db: Database;
  readonly #accounts: SqliteAccounts;
  readonly #clients: SqliteClients;
  readonly #apiKeys: SqliteApiKeys;
  readonly #records: SqliteRecords;
  readonly #secrets: SqliteSecrets;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'latchkey.sqlite');
    this.description = `embedded store (node:sqlite) at ${file}`;
    this.#db = new Database(file);
    try {
      migrate(this.#db, file);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.oidc = new SqliteOidcStore(this.#db);
    this.#accounts = new SqliteAccounts(this.#db);
    this.#clients = new SqliteClients(this.#db);
    this.#apiKeys = new SqliteApiKeys(this.#db);
    this.#records = new SqliteRecords(this.#db);
    this.#secrets = new SqliteSecrets(this.#db);
  }

  createAccount(account: Account, owner: User) { return this.#accounts.createAccount(account, owner); }
  findAccount(id: string) { return this.#accounts.findAccount(id); }
  createUser(user: User) { return this.#accounts.createUser(user); }
  findUser(id: string) { return this.#accounts.findUser(id); }
  findUserByEmail(email: string) { return this.#accounts.findUserByEmail(email); }

  createClient(client: ClientRecord) { return this.#clients.createClient(client); }
  findClient(id: string) { return this.#clients.findClient(id); }
  listClients(accountId: string) { return this.#clients.listClients(accountId); }

  createApiKey(key: ApiKeyRecord, event: AuditEvent) { return this.#apiKeys.createApiKey(key, event); }
  findApiKey(id: string) { return this.#apiKeys.findApiKey(id); }
  findApiKeyByHash(hash: string) { return this.#apiKeys.findApiKeyByHash(hash); }
  listApiKeys(accountId: string) { return this.#apiKeys.listApiKeys(accountId); }
  rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent) {
    return this.#apiKeys.rollApiKey(oldId, oldExpiresAt, replacement, event);
  }
  revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent) { return this.#apiKeys.revokeApiKey(id, at, reason, event); }
  touchApiKey(id: string, at: Date) { return this.#apiKeys.touchApiKey(id, at); }
  listAuditEvents(accountId: string, limit: number) { return this.#apiKeys.listAuditEvents(accountId, limit); }

  insertRecord(record: PartnerRecord) { return this.#records.insertRecord(record); }
  findRecord(p: PartitionKey, id: string) { return this.#records.findRecord(p, id); }
  updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date) { return this.#records.updateRecord(p, id, data, at); }
  deleteRecord(p: PartitionKey, id: string) { return this.#records.deleteRecord(p, id); }
  listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) { return this.#records.listRecords(p, page); }

  getOrCreateSecret(name: string, candidate: string) { return this.#secrets.getOrCreateSecret(name, candidate); }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.#db);
  }

  sweepExpired(): Promise<number> {
    return this.oidc.sweep();
  }

  async ping(): Promise<void> {
    this.#db.sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
