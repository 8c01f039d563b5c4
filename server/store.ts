// Picks the store: MongoDB when MONGODB_URI is set, the embedded node:sqlite file otherwise.
import type { OpenOptions, Store } from '../adapters/contract.ts';
import { SqliteStore } from '../adapters/sqlite/index.ts';
import type { Settings } from '../config/settings.ts';

/** `options`: migrate (the server, `latchkey migrate`; the default) or only check (other CLI commands). */
export async function openStore(settings: Settings, options: OpenOptions = {}): Promise<Store> {
  if (settings.mongodbUri) {
    const { MongoStore } = await import('../adapters/mongodb/index.ts');
    return MongoStore.connect(settings.mongodbUri, settings.mongodbDatabase, options);
  }
  return new SqliteStore(settings.dataDir);
}
