// An optional `.env` file in the working directory, read by the server and the CLI alike, first of
// all (config/scopes.ts reads LATCHKEY_CATALOG_FILE when it is imported): one set of settings for
// both. A variable already in the environment wins over the file (Node's process.loadEnvFile).
// Imported for this effect before anything else; each entry point says which file it read.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

function loadEnvFile(): string | undefined {
  const path = resolve('.env');
  if (!existsSync(path)) return undefined;
  try {
    process.loadEnvFile(path);
  } catch (err) {
    process.stderr.write(`latchkey: cannot read the settings in ${path}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  return path;
}

/** The `.env` file read, if there was one. */
export const ENV_FILE: string | undefined = loadEnvFile();
