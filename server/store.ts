// Picks the store: MongoDB when MONGODB_URI is set, the embedded node:sqlite file otherwise.
import type { Store } from '../adapters/contract.ts';
import { SqliteStore } from '../adapters/sqlite/index.ts';
import type { Settings } from '../config/settings.ts';

export async function openStore(settings: Settings): Promise<Store> {
  if (settings.mongodbUri) {
    const { MongoStore } = await import('../adapters/mongodb/index.ts');
    return MongoStore.connect(settings.mongodbUri, settings.mongodbDatabase);
  }
  return new SqliteStore(settings.dataDir);
}
