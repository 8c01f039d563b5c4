// Runs the store contract suite against the embedded store always, and MongoDB when MONGODB_URI is set.
import { rmSync } from 'node:fs';
import { SqliteStore } from '../../adapters/sqlite/index.ts';
import { SCHEMA_VERSION as MONGODB_SCHEMA_VERSION } from '../../adapters/mongodb/migrations.ts';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../../adapters/sqlite/migrations.ts';
import { tempDataDir } from '../helpers/server.ts';
import { storeContract } from './contract.ts';

describe('store contract: embedded (node:sqlite)', () => {
  const dir = tempDataDir();
  storeContract(async () => new SqliteStore(dir), async (store) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, { schemaVersion: SQLITE_SCHEMA_VERSION });
});

describe('store contract: MongoDB', function () {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    it('runs only when MONGODB_URI is set (for example MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0 npm test)');
    return;
  }
  const database = `latchkey_contract_${Date.now()}`;
  storeContract(async () => {
    const { MongoStore } = await import('../../adapters/mongodb/index.ts');
    return MongoStore.connect(uri, database);
  }, async (store) => {
    await (store as unknown as { dropDatabase(): Promise<void> }).dropDatabase();
    await store.close();
  }, { schemaVersion: MONGODB_SCHEMA_VERSION });
});
