// A MongoDB database shaped by an earlier release is migrated, and the schema work behaves across
// instances: one migrator at a time, fenced; ordinary CLI opens build nothing; one instance sweeps
// (issue 21, defects 5 and 7). Runs when MONGODB_URI is set; the decisions are unit tested in
// mongodb-upgrades.test.ts.
import { expect } from 'chai';
import { MongoClient, type Db } from 'mongodb';
import { StoreSchemaError } from '../../adapters/contract.ts';
import { randomBase62 } from '../../server/secrets.ts';

const FIRST_RELEASE = 1;

/** A database as the first release left it: version 1 recorded, its lock, a client and a key of then. */
async function seedFirstRelease(db: Db) {
  const at = new Date('2026-01-05T10:00:00Z');
  await db.collection('schema_migrations').insertOne({ _id: FIRST_RELEASE as never, name: 'baseline', appliedAt: at });
  // Left by a first-release migrator that crashed: no term, no since, long expired.
  await db.collection('schema_lock').insertOne({ _id: 'migrate' as never, owner: 'old-instance', expiresAt: at });
  await db.collection('accounts').insertOne({ _id: 'acct_old' as never, name: 'Old Co', createdAt: at });
  await db.collection('users').insertOne({ _id: 'user_old' as never, accountId: 'acct_old', email: 'old@example.com', passwordHash: 'h', createdAt: at });
  await db.collection('clients').insertOne({
    _id: 'client_test_old' as never, accountId: 'acct_old', name: 'Old app', type: 'service', environment: 'test',
    scopes: ['read:orders'], redirectUris: [], authMethod: 'client_secret_basic', secretHash: 'h'.repeat(64), createdAt: at,
  });
  await db.collection('api_keys').insertOne({
    _id: 'key_old' as never, accountId: 'acct_old', environment: 'test', name: 'old key', scopes: ['read:orders'],
    hash: 'k'.repeat(64), prefix: 'sk_test_', last4: 'abcd', createdBy: 'cli', createdAt: at, expiresAt: null,
    revokedAt: null, revokedReason: null, replacedBy: null, replaces: null, lastUsedAt: null,
  });
  // Indexes of then that nothing queries any more (version 8 drops them).
  await db.collection('api_keys').createIndex({ accountId: 1, createdAt: 1 }, { name: 'accountId' });
  await db.collection('oidc_AccessToken').createIndex({ uid: 1 }, { name: 'uid', sparse: true });
}

describe('MongoDB: migrations from an earlier release, and schema work across instances', function () {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    it('runs only when MONGODB_URI is set (for example MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0 npm test)');
    return;
  }
  this.timeout(60_000);
  let raw: MongoClient;
  let database: string;
  before(async () => { raw = await MongoClient.connect(uri); });
  after(async () => { await raw.close(); });
  beforeEach(() => { database = `latchkey_migrations_${randomBase62(8)}`; });
  afterEach(async () => { await raw.db(database).dropDatabase(); });

  it('migrates a first-release database: every version applied once, old documents readable and editable', async () => {
    const { MongoStore, SCHEMA_VERSION } = await import('../../adapters/mongodb/index.ts');
    await seedFirstRelease(raw.db(database));
    const progress: string[] = [];
    const store = await MongoStore.connect(uri, database, { progress: (m) => progress.push(m) });
    try {
      expect(store.schemaReport.from).to.equal(FIRST_RELEASE);
      expect(store.schemaReport.to).to.equal(SCHEMA_VERSION);
      expect(store.schemaReport.applied).to.deep.equal(Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 2));
      expect(store.schemaReport.indexesBuilt).to.include('api_keys.grantId');
      expect(progress.some((m) => m.startsWith('applying schema migration 5'))).to.equal(true);
      expect(progress.some((m) => m.startsWith('built the MongoDB index'))).to.equal(true);

      const client = await store.findClient('client_test_old');
      expect(client?.revision).to.equal(1);
      expect(client?.secrets.map((s) => s.id)).to.deep.equal(['cs_client_test_old']);
      expect(client?.resource).to.equal(undefined);
      expect((await store.findApiKey('key_old'))?.grantId).to.equal(undefined);
      // Versions 9 and 10: the old user is confirmed and owns the account, which requires nothing new.
      expect(await store.findUser('user_old')).to.deep.include({ role: 'owner', emailVerifiedAt: new Date('2026-01-05T10:00:00Z') });
      expect(await raw.db(database).collection('users').countDocuments({ _id: 'user_old' as never, role: 'owner' })).to.equal(1);
      expect((await store.findAccount('acct_old'))?.policy).to.deep.equal({ requireTwoFactor: false, liveAdminsOnly: false });
      expect((await store.listMembers('acct_old')).map((m) => m.id)).to.deep.equal(['user_old']);
      expect(await raw.db(database).collection('api_keys').countDocuments({ grantId: null })).to.equal(1);
      const indexNames = async (collection: string) => (await raw.db(database).collection(collection).listIndexes().toArray()).map((i) => String((i as { name?: unknown }).name));
      expect(await indexNames('api_keys')).to.include('accountKeys').and.not.include('accountId');
      expect(await indexNames('oidc_AccessToken')).to.include('grantId').and.not.include('uid');
    } finally {
      await store.close();
    }
    // Opening again does nothing: no migration, no index build.
    const again = await MongoStore.connect(uri, database);
    try {
      expect(again.schemaReport).to.deep.include({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      expect(again.schemaReport.applied).to.deep.equal([]);
      expect(again.schemaReport.indexesBuilt).to.deep.equal([]);
    } finally {
      await again.close();
    }
  });

  it('two instances starting together: one migrates, the other waits and migrates nothing', async () => {
    const { MongoStore } = await import('../../adapters/mongodb/index.ts');
    await seedFirstRelease(raw.db(database));
    const stores = await Promise.all([MongoStore.connect(uri, database), MongoStore.connect(uri, database)]);
    try {
      const applied = stores.map((s) => s.schemaReport.applied.length);
      expect(applied.filter((n) => n > 0), 'exactly one migrator').to.have.length(1);
      const versions = await raw.db(database).collection('schema_migrations').countDocuments();
      expect(versions).to.equal(stores[0].schemaReport.to);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('fences a migrator whose lease was taken over: it learns so at its next renewal', async () => {
    const { Lease } = await import('../../adapters/mongodb/lease.ts');
    const db = raw.db(database);
    const first = new Lease(db, 'migrate', 60_000);
    expect(await first.acquire()).to.equal(true);
    const second = new Lease(db, 'migrate', 60_000);
    expect(await second.acquire(), 'held by the first').to.equal(false);
    await db.collection('schema_lock').updateOne({ _id: 'migrate' as never }, { $set: { expiresAt: new Date(0) } });
    expect(await second.acquire(), 'taken over once the lease ended').to.equal(true);
    expect(await first.renew(), 'the first is fenced off').to.equal(false);
    expect((await second.holder())?.term).to.equal(2);
    await second.release();
    expect(await second.holder()).to.equal(null);
  });

  it('an ordinary CLI open refuses a database behind this code and builds nothing', async () => {
    const { MongoStore } = await import('../../adapters/mongodb/index.ts');
    await seedFirstRelease(raw.db(database));
    const indexesBefore = await raw.db(database).collection('api_keys').listIndexes().toArray();
    const refused = await MongoStore.connect(uri, database, { schema: 'check' }).then(() => undefined, (err: unknown) => err);
    expect(refused).to.be.instanceOf(StoreSchemaError);
    expect((refused as Error).message).to.include('latchkey migrate');
    expect(await raw.db(database).collection('api_keys').listIndexes().toArray()).to.deep.equal(indexesBefore);
  });

  it('one instance sweeps at a time; closing hands the sweep on at once', async () => {
    const { MongoStore } = await import('../../adapters/mongodb/index.ts');
    const first = await MongoStore.connect(uri, database);
    const second = await MongoStore.connect(uri, database);
    try {
      // Grants past their own lifetime (payload.exp) with a stored expiry ahead: only a sweep removes them.
      const expiredGrant = (id: string) => first.oidc.upsert('Grant', id, { accountId: 'u', clientId: 'c', exp: 1 }, 3600);
      await expiredGrant('grant-1');
      expect(await second.sweepExpired(), 'the first to sweep holds the lease').to.equal(1);
      await expiredGrant('grant-2');
      expect(await first.sweepExpired(), 'another instance holds the sweep').to.equal(0);
      expect(await first.oidc.find('Grant', 'grant-2'), 'left for the holder').to.not.equal(undefined);
      await second.close();
      expect(await first.sweepExpired(), 'handed on when the holder closed').to.equal(1);
    } finally {
      await first.close();
      await second.close().catch(() => undefined);
    }
  });
});
