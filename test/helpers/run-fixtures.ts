// What every test server and test user of a run share, made once in mocha's main process (this file
// is a --require, loaded before the workers fork) and handed to every worker in the environment:
// - a signing key set, given to test servers as LATCHKEY_JWKS (the setting operators use), so no
//   server generates an RSA key at boot;
// - one password and its argon2id hash, written through the store for each test user, so no user
//   costs a hash. The server's argon2id parameters are not touched: the hash is made by the
//   server's own hashPassword, and sign-in verifies it at full cost.
import { hashPassword } from '../../server/accounts/passwords.ts';
import { generateJwks } from '../../server/keys.ts';
import { randomBase62 } from '../../server/secrets.ts';

const JWKS = 'LATCHKEY_TEST_JWKS';
const PASSWORD = 'LATCHKEY_TEST_PASSWORD';
const PASSWORD_HASH = 'LATCHKEY_TEST_PASSWORD_HASH';

process.env[JWKS] ??= await generateJwks();
process.env[PASSWORD] ??= `correct horse battery ${randomBase62(12)}`;
process.env[PASSWORD_HASH] ??= await hashPassword(process.env[PASSWORD]);

/** The run's signing keys, as LATCHKEY_JWKS takes them. */
export function runJwks(): string {
  return process.env[JWKS]!;
}

/** The run's test-user password and its hash. */
export function runPassword(): { password: string; passwordHash: string } {
  return { password: process.env[PASSWORD]!, passwordHash: process.env[PASSWORD_HASH]! };
}
