// The embedded store: one node:sqlite file in DATA_DIR, WAL mode, nothing to install. One file per
// domain (accounts, clients, API keys and audit, Partner records, secrets, oidc-provider models and
// grants), composed here behind the Store contract; the schema is versioned (migrations.ts).
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ComposedStore } from '../composed-store.ts';
import type { BackupSummary, SchemaReport } from '../contract.ts';
import { backupSqlite } from './backup.ts';
import { SqliteAccounts } from './accounts.ts';
import { SqliteApiKeys } from './api-keys.ts';
import { SqliteClients } from './clients.ts';
import { SqliteCounters } from './counters.ts';
import { credentialsListenersOf, readCredentialsGeneration } from './credentials.ts';
import { Database, durable } from './database.ts';
import { currentVersion, migrate } from './migrations.ts';
import { SqliteLeaks } from './leaks.ts';
import { SqliteOidcStore } from './oidc.ts';
import { SqliteMail } from './mail.ts';
import { SqliteOutbox } from './outbox.ts';
import { SqliteRecords } from './records.ts';
import { webhooksOn } from '../webhook-store.ts';
import { SqliteSecrets } from './secrets.ts';
import { SqliteTeams } from './teams.ts';

/** Opens the file and brings its schema up to date; a schema this version cannot use closes it again. */
function openMigrated(file: string): { db: Database; report: SchemaReport } {
  const db = new Database(file);
  try {
    return { db, report: migrate(db, file) };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * DATA_DIR is Latchkey's alone (0700), also when it existed before with a wider mode; a shared
 * sticky directory such as /tmp stays as it is (the database files in it are 0600 all the same).
 */
function makePrivate(dir: string): void {
  const { mode } = statSync(dir);
  if ((mode & 0o077) !== 0 && (mode & 0o1000) === 0) chmodSync(dir, 0o700);
}

export class SqliteStore extends ComposedStore {
  readonly kind = 'embedded';
  readonly description: string;
  readonly schemaReport: SchemaReport;
  readonly oidc: SqliteOidcStore;
  readonly #db: Database;
  readonly #counters: SqliteCounters;
  readonly #outbox: SqliteOutbox;
  readonly #mail: SqliteMail;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    makePrivate(dataDir);
    const file = join(dataDir, 'latchkey.sqlite');
    const { db, report } = openMigrated(file);
    // Every store call resolves only once what it did is committed (database.ts, group commit).
    const counters = durable(db, new SqliteCounters(db));
    const clients = durable(db, new SqliteClients(db));
    const outbox = durable(db, new SqliteOutbox(db));
    const mail = durable(db, new SqliteMail(db));
    super({
      accounts: durable(db, new SqliteAccounts(db)),
      teams: durable(db, new SqliteTeams(db)),
      clients,
      apiKeys: durable(db, new SqliteApiKeys(db)),
      records: durable(db, new SqliteRecords(db)),
      webhooks: webhooksOn(durable(db, new SqliteRecords(db, 'webhooks'))),
      secrets: durable(db, new SqliteSecrets(db)),
      counters,
      outbox,
      leaks: durable(db, new SqliteLeaks(db, (id) => clients.findClient(id))),
      mail,
    }, credentialsListenersOf(db));
    // A batch that failed to commit may have been read: every cache built on credentials starts again.
    db.onRollback(() => credentialsListenersOf(db).notify());
    this.#db = db;
    this.#counters = counters;
    this.#outbox = outbox;
    this.#mail = mail;
    this.description = `embedded store (node:sqlite) at ${file}`;
    this.schemaReport = report;
    this.oidc = durable(db, new SqliteOidcStore(db));
  }

  async schemaVersion(): Promise<number> {
    return currentVersion(this.#db);
  }

  async sweepExpired(): Promise<number> {
    const now = Date.now();
    return await this.oidc.sweep() + this.#counters.sweep(now) + this.#outbox.sweep(now) + this.#mail.sweep(now);
  }

  /** Batches committed so far by this process, and the fsyncs of the log that made them durable. */
  override commits(): number {
    return this.#db.commits;
  }

  override syncs(): number {
    return this.#db.syncs;
  }

  async ping(): Promise<void> {
    this.#db.sql('SELECT 1').get();
  }

  async backupTo(file: string): Promise<BackupSummary> {
    return backupSqlite(this.#db, file);
  }

  async credentialsGeneration(): Promise<string> {
    return readCredentialsGeneration(this.#db);
  }

  protected async closeConnection(): Promise<void> {
    this.#db.close();
  }
}
