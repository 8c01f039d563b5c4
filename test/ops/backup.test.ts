// `latchkey backup` while the server serves and writes: the copy is created 0600, says what it
// holds, and a server booted on it accepts every API key whose creation was acknowledged before the
// backup started. On MongoDB the command refuses and names mongodump.
import { mkdirSync, mkdtempSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { startChild, type Child } from '../catalog/child.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('latchkey backup', function () {
  this.timeout(90_000);
  const children: Child[] = [];
  after(async () => { for (const child of children) await child.stop(); });

  it('refuses on MongoDB, naming mongodump (runs when MONGODB_URI is set)', async function () {
    if (!process.env.MONGODB_URI) this.skip();
    const latchkey = await startChild({});
    children.push(latchkey);
    const result = await cli(['backup', '--out', join(mkdtempSync(join(tmpdir(), 'latchkey-backup-')), 'copy.sqlite'), '--json'], latchkey.env);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('mongodump');
  });

  it('copies the embedded store under write load; a server on the copy accepts every key acknowledged before it began', async function () {
    if (process.env.MONGODB_URI) this.skip();
    // The writers make hundreds of keys a second: above the default limit of live keys per account.
    const latchkey = await startChild({ LATCHKEY_API_KEYS_PER_ACCOUNT: '100000' });
    children.push(latchkey);
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Backup Inc', '--email', `backup.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13']);
    const client = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'key maker', '--type', 'service', '--scopes', 'write:api_keys read:contacts']);
    const token = (await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'write:api_keys read:contacts')).access_token;

    // Four writers make keys until told to stop, each noting when its answer arrived.
    const acknowledged: { key: string; at: number }[] = [];
    const failures: string[] = [];
    let writing = true;
    const writer = async () => {
      while (writing) {
        const res = await call(latchkey.issuer, 'POST', '/v1/api-keys', token, { environment: 'test', scopes: ['read:contacts'] });
        if (res.status === 201) acknowledged.push({ key: res.body.key as string, at: Date.now() });
        else failures.push(`${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    const writers = Promise.all([writer(), writer(), writer(), writer()]);
    await sleep(700);

    const dir = mkdtempSync(join(tmpdir(), 'latchkey-backup-'));
    const file = join(dir, 'copy.sqlite');
    const startedAt = Date.now();
    const result = await cli(['backup', '--out', file, '--json'], latchkey.env);
    await sleep(300);
    writing = false;
    await writers;
    expect(result.code, result.stderr).to.equal(0);
    expect(failures, 'writes went on during the backup').to.deep.equal([]);
    const before = acknowledged.filter((a) => a.at < startedAt);
    expect(before.length, 'keys made before the backup').to.be.greaterThan(5);
    expect(acknowledged.length, 'and after it began').to.be.greaterThan(before.length);

    const summary = JSON.parse(result.stdout) as { file: string; bytes: number; tables: Record<string, number>; key_material: string[]; warning?: string };
    expect(summary.file).to.equal(file);
    expect(statSync(file).mode & 0o777, 'created 0600').to.equal(0o600);
    expect(summary.bytes).to.equal(statSync(file).size);
    expect(summary.tables.api_keys).to.be.at.least(before.length);
    expect(summary.key_material, 'the server generated its key material into the store').to.include.members(['jwks', 'pepper']);
    expect(summary.warning).to.match(/key material/);

    // A new server on the copy, as a restore does: the file is the store of an empty DATA_DIR.
    const restored = join(dir, 'data');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(file, join(restored, 'latchkey.sqlite'));
    const copy = await startChild({ DATA_DIR: restored });
    children.push(copy);
    const refused: string[] = [];
    for (const { key } of before) {
      const res = await call(copy.issuer, 'GET', '/api/v1/contacts', key);
      if (res.status !== 200) refused.push(`${key.slice(0, 12)}…: ${res.status}`);
    }
    expect(refused).to.deep.equal([]);
  });
});
