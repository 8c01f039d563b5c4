// Opens the embedded store on a data directory (migrating it) in a process of its own, and prints
// its schema version: two of these started together show how instances boot on one file.
import { SqliteStore } from '../../adapters/sqlite/index.ts';

const store = new SqliteStore(process.argv[2]!);
process.stdout.write(`${JSON.stringify({ version: await store.schemaVersion() })}\n`);
await store.close();
