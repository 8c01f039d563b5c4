// The MongoDB store: the production backend. One collection per oidc-provider model with a TTL
// index on `expiresAt`, majority writes, an atomic conditional consume, and a transaction where a
// change spans documents (an account and its owner, a key and its audit event, a grant and all it
// bound). Transactions need a replica set; a one-node replica set is fine (docker-compose.yml runs
// one). Boot refuses a server that cannot run transactions (topology.ts), migrates the schema
// (migrations.ts), then ensures every index (indexes.ts).
// This class only composes the domains, each in its own file.
import { MongoClient, type Db, type Document } from 'mongodb';
import { ComposedStore } from '../composed-store.ts';
import { BackupError, StoreSchemaError, type BackupSummary, type OpenOptions, type SchemaReport } from '../contract.ts';
import { readCredentialsGeneration } from './credentials.ts';
import { MongoAccounts } from './accounts.ts';
import { MongoTeams } from './teams.ts';
import { MongoApiKeys } from './api-keys.ts';
import { MongoClients } from './clients.ts';
import { MongoCounters } from './counters.ts';
import { clientOptions, Connection, describeMongoUri, guard } from './connection.ts';
import { MongoGrants } from './grants.ts';
import { MongoLeaks } from './leaks.ts';
import { ensureIndexes } from './indexes.ts';
import { Lease } from './lease.ts';
import { migrate, recordedVersion, SCHEMA_VERSION } from './migrations.ts';
import { MongoOidcStore } from './oidc.ts';
import { MongoMail } from './mail.ts';
import { MongoOutbox } from './outbox.ts';
import { MongoRecords } from './records.ts';
import { webhooksOn } from '../webhook-store.ts';
import { MongoSecrets } from './secrets.ts';
import { classifyHello, classifyUnreachable, serverTypesOf } from './topology.ts';

export { describeMongoUri } from './connection.ts';
export { INDEXES, OIDC_MODELS } from './indexes.ts';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';

/** A sweeping instance keeps the lease by sweeping every minute; three missed sweeps hand it on. */
const SWEEP_LEASE_MS = 3 * 60_000;

/** Migrates, then builds what indexes are missing: the server's boot and `latchkey migrate`. */
async function prepareSchema(db: Db, progress?: (message: string) => void): Promise<SchemaReport> {
  const migration = await migrate(db, progress);
  return { ...migration, indexesBuilt: await ensureIndexes(db, progress) };
}

/**
 * An ordinary CLI command sends no migration and no index build to the cluster (issue 21, defect 5):
 * a database behind this code is refused, naming the command that brings it up to date.
 */
async function checkSchema(db: Db): Promise<SchemaReport> {
  const version = await recordedVersion(db);
  if (version !== SCHEMA_VERSION) {
    throw new StoreSchemaError(
      `the MongoDB database "${db.databaseName}" is at schema version ${version} and this Latchkey needs ${SCHEMA_VERSION}: `
      + (version < SCHEMA_VERSION ? 'run `latchkey migrate` (or start the server, which migrates at boot) first' : 'run a newer Latchkey'),
    );
  }
  return { from: version, to: version, applied: [], indexesBuilt: [] };
}

export class MongoStore extends ComposedStore {
  readonly kind = 'mongodb';
  readonly description: string;
  readonly schemaReport: SchemaReport;
  readonly oidc: MongoOidcStore;
  readonly #connection: Connection;
  readonly #grants: MongoGrants;
  readonly #outbox: MongoOutbox;
  readonly #clients: MongoClients;
  readonly #sweepLease: Lease;

  private constructor(connection: Connection, description: string, schemaReport: SchemaReport) {
    // One grant revocation path, shared by the oidc models and client deletion.
    const grants = new MongoGrants(connection);
    const outbox = new MongoOutbox(connection);
    const clients = new MongoClients(connection, grants);
    super({
      accounts: new MongoAccounts(connection),
      teams: new MongoTeams(connection),
      clients,
      apiKeys: new MongoApiKeys(connection),
      records: new MongoRecords(connection),
      webhooks: webhooksOn(new MongoRecords(connection, () => connection.webhooks())),
      secrets: new MongoSecrets(connection),
      counters: new MongoCounters(connection),
      outbox,
      leaks: new MongoLeaks(connection),
      mail: new MongoMail(connection),
    }, connection.credentials);
    this.#outbox = outbox;
    this.#clients = clients;
    this.#connection = connection;
    this.description = description;
    this.schemaReport = schemaReport;
    this.#grants = grants;
    this.#sweepLease = new Lease(connection.db, 'sweep', SWEEP_LEASE_MS);
    this.oidc = new MongoOidcStore(connection, this.#grants);
  }

  /**
   * Connects, checks the server can run transactions, then (OpenOptions) migrates the schema and
   * builds missing indexes, or only checks the schema is current. An unreachable or standalone server
   * is an error naming its host, never its password; a schema this version cannot use is a StoreSchemaError.
   */
  static async connect(uri: string, database: string, options: OpenOptions = {}): Promise<MongoStore> {
    const hosts = describeMongoUri(uri);
    // Fail a request after 5 s without a server or a pooled connection (then 503), unless the URI says otherwise.
    const client = new MongoClient(uri, clientOptions(uri));
    let hello: Document;
    try {
      await client.connect();
      hello = await client.db(database).command({ hello: 1 });
    } catch (err) {
      await client.close().catch(() => undefined);
      const wrongKind = classifyUnreachable(serverTypesOf(err), hosts);
      if (wrongKind) throw new Error(`cannot use MongoDB: ${wrongKind}`);
      const reason = err instanceof Error ? err.message.replace(uri, hosts) : String(err);
      throw new Error(`cannot reach MongoDB at ${hosts} (database "${database}"): ${reason}`);
    }
    const verdict = classifyHello(hello, hosts);
    if (!verdict.ok) {
      await client.close().catch(() => undefined);
      throw new Error(`cannot use MongoDB: ${verdict.reason}`);
    }
    const db = client.db(database);
    let report: SchemaReport;
    try {
      report = options.schema === 'check' ? await checkSchema(db) : await prepareSchema(db, options.progress);
    } catch (err) {
      // Boot stops here: leave no open connection behind to keep the process alive.
      await client.close().catch(() => undefined);
      throw err;
    }
    return new MongoStore(new Connection(client, db), `MongoDB store at ${hosts}, database "${database}"`, report);
  }

  /**
   * Client deletions that stopped half-way are finished, expired grants are revoked (tombstones,
   * audit), then whatever has expired is deleted. One instance sweeps at a time: the holder of the
   * `sweep` lease, which it keeps by sweeping; the others return 0 at once, rather than every
   * instance revoking the same expired grants in conflicting transactions (issue 21, defect 7).
   */
  async sweepExpired(): Promise<number> {
    if (!await guard(() => this.#sweepLease.acquire())) return 0;
    const now = new Date();
    const finished = await this.#clients.finishInterruptedDeletions();
    const revoked = await this.#grants.revokeExpired(now);
    return finished + revoked + await this.oidc.sweep(now) + await this.#outbox.sweep(now);
  }


  schemaVersion(): Promise<number> { return guard(() => recordedVersion(this.#connection.db)); }

  async backupTo(): Promise<BackupSummary> {
    throw new BackupError('MongoDB backups are the operator\'s: take them with mongodump or storage snapshots (docs/mongodb.md, "Backups")');
  }

  async ping(): Promise<void> {
    await guard(() => this.#connection.db.command({ ping: 1 }));
  }

  /** For tests: removes the whole database. */
  async dropDatabase(): Promise<void> {
    await this.#connection.db.dropDatabase();
  }

  credentialsGeneration(): Promise<string> {
    return readCredentialsGeneration(this.#connection);
  }

  protected async closeConnection(): Promise<void> {
    // Handed on at once: another instance sweeps from its next tick, not after the lease ends.
    await this.#sweepLease.release().catch(() => undefined);
    await this.#connection.client.close();
  }
}
