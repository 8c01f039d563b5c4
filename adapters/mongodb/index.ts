// Placeholder until the MongoDB store lands (issue 4): fail loudly rather than fall back.
import type { Store } from '../contract.ts';

export const MongoStore = {
  async connect(_uri: string, _database: string): Promise<Store> {
    throw new Error('the MongoDB store is not implemented yet; unset MONGODB_URI to use the embedded store');
  },
};
