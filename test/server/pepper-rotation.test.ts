// Versioned peppers: after LATCHKEY_PEPPER=2:NEW,1:OLD every API key and client secret made under
// the old pepper still works and moves to the new one on its first use; then the old pepper can be
// left out. Left out too early, the boot refuses with the count of hashes still under it.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { sample } from '../helpers/metrics.ts';
import { runNode } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';
import { startChild, type Child } from '../catalog/child.ts';

const newPepper = () => randomBytes(32).toString('base64url');

describe('rotating the pepper', function () {
  this.timeout(60_000);
  const OLD = newPepper();
  const NEW = newPepper();
  let latchkey: Child | undefined;
  let dataEnv: Record<string, string>;
  let keys: string[];
  let keyIds: string[];
  let client: { id: string; secret: string };

  async function restart(pepper: string): Promise<Child> {
    await latchkey?.stop();
    latchkey = await startChild({ ...dataEnv, LATCHKEY_PEPPER: pepper });
    return latchkey;
  }

  const keyWorks = async (key: string) => (await call(latchkey!.issuer, 'GET', '/api/v1/contacts', key)).status === 200;
  const secretWorks = async () => {
    const as = await discover(latchkey!.issuer);
    try {
      await clientCredentials(as, client.id, client.secret, 'read:contacts');
      return true;
    } catch {
      return false;
    }
  };

  before(async () => {
    latchkey = await startChild({ LATCHKEY_PEPPER: OLD });
    // The same store and the same other key material across restarts.
    dataEnv = Object.fromEntries(Object.entries(latchkey.env).filter(([name]) => ['DATA_DIR', 'MONGODB_URI', 'MONGODB_DATABASE'].includes(name)));
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Pepper Inc', '--email', `pepper.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13']);
    keys = [];
    keyIds = [];
    for (let i = 0; i < 3; i += 1) {
      const made = await latchkey.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:contacts']);
      keys.push(made.key!);
      keyIds.push(made.id!);
    }
    const made = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts']);
    client = { id: made.client_id!, secret: made.client_secret! };
    expect(await keyWorks(keys[0]!)).to.equal(true);
  });
  after(() => latchkey?.stop());

  it('with 2:NEW,1:OLD, the old keys and the old client secret work', async () => {
    await restart(`2:${NEW},1:${OLD}`);
    expect(await keyWorks(keys[0]!), 'a key made under pepper 1').to.equal(true);
    expect(await keyWorks(keys[1]!)).to.equal(true);
    expect(await secretWorks(), 'a client secret made under pepper 1').to.equal(true);
    // The moves to pepper 2 happen beside the answer: give them a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('latchkey pepper status counts the hashes under each pepper', async () => {
    const status = await latchkey!.latchkey(['pepper', 'status']) as unknown as { current: string; peppers: { id: string; api_key_hashes: number; may_be_retired: boolean }[] };
    expect(status.current).to.equal('2');
    const byId = Object.fromEntries(status.peppers.map((p) => [p.id, p]));
    expect(byId['1']).to.include({ api_key_hashes: 1, may_be_retired: false });
    expect(byId['2']).to.include({ api_key_hashes: 2, client_secret_hashes: 1 });
    expect(byId['1']).to.include({ client_secret_hashes: 0 });
    const metrics = await (await fetch(`${latchkey!.issuer}/metrics`)).text();
    expect(sample(metrics, 'latchkey_api_key_hashes', { pepper: '1' })).to.equal(1);
    expect(sample(metrics, 'latchkey_api_key_hashes', { pepper: '2' })).to.equal(2);
  });

  it('leaving pepper 1 out while a key still has its hash under it is refused at boot, with the count', async () => {
    const port = await freePort();
    const result = await runNode('server/main.ts', [], { ...latchkey!.env, LATCHKEY_PEPPER: `2:${NEW}`, PORT: String(port), ISSUER: `http://localhost:${port}` });
    expect(result.code).to.equal(1);
    expect(result.stderr, result.stderr).to.include('LATCHKEY_PEPPER: pepper 1 still has 1 API key hash and 0 client secret hashes');
  });

  it('once each was used (or revoked), pepper 1 can go: what was used moved to pepper 2', async () => {
    // The third key was not used since the rotation: revoked, as an operator would.
    await latchkey!.latchkey(['key', 'revoke', keyIds[2]!, '--reason', 'unused']);
    await restart(`2:${NEW}`);
    expect(await keyWorks(keys[0]!), 'moved on its use').to.equal(true);
    expect(await keyWorks(keys[1]!)).to.equal(true);
    expect(await secretWorks(), 'the client secret moved on its use').to.equal(true);
  });
});
