// Key material that cannot diverge: the store records what is in force (by fingerprint), and a
// server or CLI with other material refuses to start or to write, naming the variable, instead of
// making secrets the servers reject (the CLI once made a client whose secret got invalid_client).
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { expect } from 'chai';
import { generateJwks } from '../../server/keys.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { cli, runNode } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';
import { startChild, type Child } from '../catalog/child.ts';

const pepper = () => randomBytes(32).toString('base64url');
const cookieKey = () => randomBytes(32).toString('base64url');

describe('key material that cannot diverge', function () {
  this.timeout(60_000);
  let latchkey: Child;
  let accountId: string;
  const given = { LATCHKEY_PEPPER: pepper(), LATCHKEY_COOKIE_KEYS: cookieKey(), LATCHKEY_JWKS: '' };

  before(async function () {
    if (process.env.MONGODB_URI) this.skip(); // the stored secrets are read from the file below
    given.LATCHKEY_JWKS = await generateJwks();
    latchkey = await startChild(given);
    accountId = (await latchkey.latchkey(['account', 'create', '--name', 'Keys Inc', '--email', `keys.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13'])).account_id!;
  });
  after(() => latchkey?.stop());

  /** The names in the store's secrets table. */
  function storedSecrets(): string[] {
    const db = new DatabaseSync(join(latchkey.env.DATA_DIR!, 'latchkey.sqlite'), { readOnly: true });
    try {
      return (db.prepare('SELECT name FROM secrets ORDER BY name').all() as { name: string }[]).map((row) => row.name);
    } finally {
      db.close();
    }
  }

  /** The server's environment without some of its key material, or with other values. */
  function envWith(changes: Record<string, string | undefined>): Record<string, string | undefined> {
    return { ...latchkey.env, ...changes };
  }

  it('a CLI without the server\'s pepper refuses to write, naming LATCHKEY_PEPPER, and stores no pepper of its own', async () => {
    const result = await cli(['client', 'create', '--account', accountId, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts', '--json'], envWith({ LATCHKEY_PEPPER: undefined }));
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/LATCHKEY_PEPPER: is not set, but the servers on this store are given their pepper from outside/);
    expect(result.stdout).to.equal('');
    expect(storedSecrets()).to.not.include('pepper');
  });

  it('a CLI with another pepper refuses too; with the server\'s, the client it makes works at the server', async () => {
    const other = await cli(['client', 'create', '--account', accountId, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts', '--json'], envWith({ LATCHKEY_PEPPER: pepper() }));
    expect(other.code).to.equal(1);
    expect(other.stderr).to.match(/LATCHKEY_PEPPER: differs from the pepper in force on this store/);
    const client = await latchkey.latchkey(['client', 'create', '--account', accountId, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts']);
    const token = await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'read:contacts');
    expect(token.access_token).to.be.a('string');
  });

  it('a server with other signing keys or cookie keys refuses to start, naming the variable', async () => {
    for (const [variable, value] of [['LATCHKEY_JWKS', await generateJwks()], ['LATCHKEY_COOKIE_KEYS', cookieKey()]] as const) {
      const port = await freePort();
      const result = await runNode('server/main.ts', [], { ...envWith({ [variable]: value }), PORT: String(port), ISSUER: `http://localhost:${port}` });
      expect(result.code, variable).to.equal(1);
      expect(result.stderr, variable).to.include(`${variable}: differs from the`);
    }
  });

  it('a rotation that keeps the old value beside the new one is taken; a list sharing nothing with it is refused', async () => {
    const oldKey = given.LATCHKEY_COOKIE_KEYS;
    const rotated = `${cookieKey()},${oldKey}`;
    const keyCreate = ['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'read:contacts', '--json'];
    expect((await cli(keyCreate, envWith({ LATCHKEY_COOKIE_KEYS: rotated }))).code, 'the new list, old key kept').to.equal(0);
    const stale = await cli(keyCreate, envWith({ LATCHKEY_COOKIE_KEYS: `${cookieKey()}` }));
    expect(stale.code, 'a list sharing nothing with the one in force').to.equal(1);
    expect(stale.stderr).to.include('LATCHKEY_COOKIE_KEYS: differs from the cookie keys in force');
  });
});
