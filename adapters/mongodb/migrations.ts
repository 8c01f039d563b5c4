// Schema versions and forward migrations, applied at boot. `schema_migrations` holds one document
// per applied version; a lease (lease.ts) makes one instance apply them while others starting at the
// same moment wait, then proceed. Indexes are not migrations: boot ensures the declared list
// (indexes.ts) after migrating, so a migration that must reshape data runs before a new index needs it.
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoServerError, type ClientSession, type Db } from 'mongodb';
import { StoreSchemaError } from '../contract.ts';
import { COLLECTIONS, oidcCollectionName, type LockDocument, type MigrationDocument } from './documents.ts';
import { OIDC_MODELS, oidcModelIndexes } from './indexes.ts';
import { Lease, leaseIsFree } from './lease.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Must be safe to run again: a migrator that died before recording its version leaves it to the next one. */
  up(db: Db, session?: ClientSession): Promise<void>;
}

/** In order; append only. A version, once released, never changes. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'baseline',
    // The collections and indexes of the first release. A database from before schema versions has
    // them and its data as they are, so it is simply recorded at 1; the indexes come from indexes.ts.
    async up() {},
  },
  {
    version: 2,
    name: 'refresh-token tombstones',
    // A new collection, nothing to transform: refresh_tombstones and its indexes (and oidc_Grant's
    // grantExp index) come from indexes.ts.
    async up() {},
  },
  {
    version: 3,
    name: 'rate-limit counters',
    // A new collection, nothing to transform: counters and its TTL index come from indexes.ts.
    async up() {},
  },
  {
    version: 4,
    name: 'api keys bound to grants, audit events by target',
    // Keys stored before carry no grantId: give them an explicit null, so that { grantId: null }
    // filters and the typed documents agree. The new indexes come from indexes.ts.
    async up(db) {
      await db.collection(COLLECTIONS.apiKeys).updateMany({ grantId: { $exists: false } }, { $set: { grantId: null } });
    },
  },
  {
    version: 5,
    name: 'self-serve clients: secrets, homepage, logos, revisions; audit detail',
    // Clients stored before get the fields the embedded store's migration 5 gives them: their one
    // secret as an entry (id `cs_<client id>`, last4 '' as the secret is unknown; see
    // adapters/client-lifecycle.ts), createdBy 'cli', updatedAt = createdAt, revision 1 (which the
    // revision-conditional update needs to find). Only documents without a revision are touched, so
    // it is safe to run again. Audit events without `detail` read as having none; client_logos and the
    // new indexes come from indexes.ts.
    async up(db) {
      await db.collection(COLLECTIONS.clients).updateMany({ revision: { $exists: false } }, [{
        $set: {
          secrets: {
            $cond: [{ $eq: [{ $type: '$secretHash' }, 'string'] }, [{
              id: { $concat: ['cs_', '$_id'] }, hash: '$secretHash', last4: '', createdAt: '$createdAt',
              expiresAt: null, revokedAt: null, revokedReason: null,
            }], []],
          },
          homepageUrl: null,
          logoDigest: null,
          createdBy: { $ifNull: ['$createdBy', 'cli'] },
          updatedAt: '$createdAt',
          revision: 1,
        },
      }]);
    },
  },
  {
    version: 6,
    name: 'resource-server clients',
    // Resource-server clients carry the resource whose credentials they may introspect; clients stored
    // before have none: an explicit null, as toClient reads a missing one. Safe to run again.
    async up(db) {
      await db.collection(COLLECTIONS.clients).updateMany({ resource: { $exists: false } }, { $set: { resource: null } });
    },
  },
  {
    version: 7,
    name: 'webhook outbox and deliveries, leak reports, client secrets by hash',
    // New collections (outbox_events, webhook_deliveries, leak_reports), nothing to transform: they and
    // their indexes, and clients' multikey secrets.hash index, come from indexes.ts. Every client has
    // its `secrets` array since version 5, so the new index covers old clients too.
    async up() {},
  },
  {
    version: 8,
    name: 'drop indexes nothing queries',
    // Every oidc_<Model> collection had the grantId, uid, userCode and accountClient indexes whether
    // or not anything looked its records up that way, and api_keys an accountId, createdAt index that
    // accountKeys supersedes: each cost every write. Safe to run again (a missing index is fine).
    async up(db) {
      for (const [collection, names] of Object.entries(RETIRED_INDEXES)) {
        for (const name of names) await dropIfPresent(db, collection, name);
      }
    },
  },
  {
    version: 9,
    name: 'accounts: verified addresses, two-factor, single-use links, the mail outbox',
    // Users from before count as verified (as on the embedded store); user_tokens and mail_outbox
    // and their indexes come from indexes.ts. Only users without the field are touched: safe to rerun.
    async up(db) {
      await db.collection(COLLECTIONS.users).updateMany(
        { emailVerifiedAt: { $exists: false } },
        [{ $set: { emailVerifiedAt: '$createdAt', totp: null, recoveryCodes: [] } }],
      );
    },
  },
  {
    version: 10,
    name: 'teams: member roles, account policies, invitations',
    // Every user before this version made their account alone: each is its owner. Only users without
    // a role are touched (safe to rerun); invitations and their indexes come from indexes.ts.
    async up(db) {
      await db.collection(COLLECTIONS.users).updateMany({ role: { $exists: false } }, { $set: { role: 'owner' } });
    },
  },
  {
    version: 11,
    name: 'webhooks: a collection of their own, apart from the Partner API records',
    // Each webhook document moves whole (same _id, its sealed secret and health notes); deliveries
    // name webhooks by id, so their history stays. Copied before it is deleted: safe to rerun.
    async up(db) {
      const records = db.collection(COLLECTIONS.records);
      const webhooks = db.collection(COLLECTIONS.webhooks);
      for await (const webhook of records.find({ kind: 'webhook' })) {
        await webhooks.replaceOne({ _id: webhook._id }, webhook, { upsert: true });
        await records.deleteOne({ _id: webhook._id });
      }
      await dropIfPresent(db, COLLECTIONS.records, 'webhookCreator');
    },
  },
];

/** Indexes earlier versions built that version 8 drops, by collection. */
export const RETIRED_INDEXES: Readonly<Record<string, readonly string[]>> = {
  [COLLECTIONS.apiKeys]: ['accountId'],
  ...Object.fromEntries(OIDC_MODELS.map((model) => {
    const kept = new Set(oidcModelIndexes(model).map((index) => index.name));
    return [oidcCollectionName(model), ['grantId', 'uid', 'userCode', 'accountClient'].filter((name) => !kept.has(name))];
  })),
};

async function dropIfPresent(db: Db, collection: string, name: string): Promise<void> {
  try {
    await db.collection(collection).dropIndex(name);
  } catch (err) {
    // 26 NamespaceNotFound (no such collection yet), 27 IndexNotFound.
    if (!(err instanceof MongoServerError && (err.code === 26 || err.code === 27))) throw err;
  }
}

/** The highest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.reduce((highest, m) => Math.max(highest, m.version), 0);

/** A migrator renews its lease every third of this; one left by a crashed migrator is taken over after it. */
const LOCK_LEASE_MS = 30_000;
const POLL_MS = 200;
/** How often an instance waiting for another's migration says so. */
const WAIT_NOTICE_MS = 10_000;

const migrationsOf = (db: Db) => db.collection<MigrationDocument>(COLLECTIONS.migrations);

/** The highest recorded version; 0 for a database that has none. */
export async function recordedVersion(db: Db): Promise<number> {
  const newest = await migrationsOf(db).findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
  return newest?._id ?? 0;
}

/** Where progress goes (the server's or the CLI's logger); adapters never log by themselves. */
export type Progress = (message: string) => void;

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
  /** The versions this call applied; empty when the database was current or another instance migrated it. */
  readonly applied: readonly number[];
}

/**
 * Brings the database to SCHEMA_VERSION. Idempotent. When several instances start together, the one
 * holding the `migrate` lease applies the migrations and the others wait as long as it keeps renewing
 * its lease, saying so every 10 s (a long migration is not a reason to fail); a migrator that dies is
 * taken over 30 s later. A migrator that finds its lease taken over stops before its next step. A
 * database written by a newer Latchkey stops boot with StoreSchemaError.
 */
export async function migrate(db: Db, progress: Progress = () => {}): Promise<MigrationResult> {
  const lease = new Lease(db, 'migrate', LOCK_LEASE_MS);
  let noticeAt = Date.now() + WAIT_NOTICE_MS;
  for (;;) {
    const current = checkKnown(db, await recordedVersion(db));
    if (current >= SCHEMA_VERSION) return { from: current, to: current, applied: [] };
    if (await lease.acquire()) break;
    if (Date.now() >= noticeAt) {
      progress(waitingNotice(db.databaseName, current, await lease.holder(), new Date()));
      noticeAt = Date.now() + WAIT_NOTICE_MS;
    }
    await sleep(POLL_MS);
  }
  // Renews the lease while migrating, so a long migration is never taken over by a waiting instance.
  const renewal = setInterval(() => { lease.renew().catch(() => undefined); }, LOCK_LEASE_MS / 3);
  renewal.unref();
  try {
    // Another instance may have finished between our last read and taking the lease.
    const from = checkKnown(db, await recordedVersion(db));
    const applied: number[] = [];
    for (const migration of MIGRATIONS.filter((m) => m.version > from)) {
      if (!await lease.renew()) throw lostLease(db, migration);
      const started = Date.now();
      progress(`applying schema migration ${migration.version} ("${migration.name}") to the MongoDB database "${db.databaseName}"`);
      await apply(db, migration);
      progress(`applied schema migration ${migration.version} in ${Date.now() - started} ms`);
      applied.push(migration.version);
    }
    return { from, to: SCHEMA_VERSION, applied };
  } finally {
    clearInterval(renewal);
    await lease.release().catch(() => undefined);
  }
}

/** What an instance waiting for another's migration logs. */
export function waitingNotice(database: string, current: number, holder: LockDocument | null, now: Date): string {
  const since = holder?.since ? `, for ${Math.round((now.getTime() - holder.since.getTime()) / 1000)} s` : '';
  const state = holder && !leaseIsFree(holder, now)
    ? `another instance holds the migration lock${since}, renewed until ${holder.expiresAt.toISOString()}`
    : 'the migration lock is free and about to be taken';
  return `waiting to migrate the MongoDB database "${database}" from schema version ${current} to ${SCHEMA_VERSION}: ${state}`;
}

function lostLease(db: Db, next: Migration): StoreSchemaError {
  return new StoreSchemaError(
    `stopped migrating the MongoDB database "${db.databaseName}" before version ${next.version} ("${next.name}"): `
    + 'this instance lost the migration lock (it was paused or cut off longer than the lease), and the instance that '
    + 'took it over carries on; start again',
  );
}

async function apply(db: Db, migration: Migration): Promise<void> {
  try {
    await migration.up(db);
  } catch (err) {
    throw new StoreSchemaError(
      `schema migration ${migration.version} ("${migration.name}") failed on the MongoDB database "${db.databaseName}": `
      + `${err instanceof Error ? err.message : String(err)}; version ${migration.version} was not recorded, so the next `
      + 'start tries it again',
      { cause: err },
    );
  }
  // Upsert: a migrator whose lease was taken over may have recorded it already.
  await migrationsOf(db).updateOne(
    { _id: migration.version },
    { $setOnInsert: { name: migration.name, appliedAt: new Date() } },
    { upsert: true },
  );
}

function checkKnown(db: Db, version: number): number {
  if (version > SCHEMA_VERSION) {
    throw new StoreSchemaError(
      `the MongoDB database "${db.databaseName}" has schema version ${version}, newer than this Latchkey knows `
      + `(${SCHEMA_VERSION}); run a newer Latchkey or restore a backup`,
    );
  }
  return version;
}
