// Placeholder until the MongoDB store lands (issue 4): fail loudly rather than fall back.
import type { Store } from '../contract.ts';

export const MongoStore = {
  async connect(_uri: string, database: string): Promise<Store> {
    throw new Error(`the MongoDB store is not implemented yet (database "${database}"); unset MONGODB_URI`);
  },
};
