// A mocha root-hook plugin (.mocharc.json "require"): after the whole run, the test servers' log
// (test/helpers/secret-registry.ts) must hold none of the secrets the helpers recorded.
import { existsSync, readFileSync } from 'node:fs';
import { recordedSecrets, testLogPath } from './secret-registry.ts';

/** The recorded secrets found in `log`, each shortened so that the failure itself leaks little. */
export function secretsIn(log: string, secrets: Iterable<string>): string[] {
  return [...secrets].filter((secret) => log.includes(secret)).map((secret) => `${secret.slice(0, 6)}… (${secret.length} chars)`);
}

export const mochaHooks = {
  afterAll() {
    const path = testLogPath();
    if (!existsSync(path)) return;
    const found = secretsIn(readFileSync(path, 'utf8'), recordedSecrets());
    if (found.length > 0) {
      throw new Error(`the test server log ${path} holds ${found.length} recorded secret(s): ${found.join(', ')}`);
    }
  },
};
