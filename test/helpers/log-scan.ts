// The log scan: no recorded secret (test/helpers/secret-registry.ts) may appear in a test server's
// log. Run once after the whole run by test/helpers/run-checks.ts, over every process's files.
import { readFileSync } from 'node:fs';
import { filesOf, readLines } from './run-folder.ts';
import { RECORDED_SECRETS, SERVER_LOG } from './secret-registry.ts';

/** The recorded secrets found in `log`, each shortened so that the failure itself leaks little. */
export function secretsIn(log: string, secrets: Iterable<string>): string[] {
  return [...secrets].filter((secret) => log.includes(secret)).map((secret) => `${secret.slice(0, 6)}… (${secret.length} chars)`);
}

/** Every recorded secret found in any test server log of the run, with the log's path. */
export function secretsInRunLogs(): string[] {
  const secrets = new Set(readLines<string>(RECORDED_SECRETS));
  return filesOf(SERVER_LOG, 'jsonl').flatMap((path) => secretsIn(readFileSync(path, 'utf8'), secrets).map((found) => `${path}: ${found}`));
}
