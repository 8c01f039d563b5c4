// Failed API-key and access-token checks at the resource-server guard are limited per address; the
// success path reads no limiter state from the store. The server trusts X-Forwarded-For here.
import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer { status: number; retryAfter: string | null; body: { error?: { code?: string; message?: string } } }

async function contacts(issuer: string, credential: string, address: string): Promise<Answer> {
  const response = await fetch(`${issuer}/api/v1/contacts`, {
    headers: { authorization: `Bearer ${credential}`, accept: 'application/json', 'x-forwarded-for': address },
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Answer['body'] };
}

async function apiKey(server: TestServer): Promise<string> {
  const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
  const { accountId } = await server.createUser('Guarded Co');
  return (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' })).key;
}

/** Credentials that fail verification in different ways: malformed key, unknown key, forged JWT. */
const BAD = ['sk_test_notakeyatall', 'sk_test_0000000000000000000000000000000000000000000000', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'];

describe('guard limits', function () {
  this.timeout(60_000);
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startServer({ env: { TRUST_PROXY: 'true' } });
    key = await apiKey(server);
  });
  after(() => server.stop({ removeData: true }));

  it(`answers failures 429 after ${LIMITS.guardSourceMaxFailures} from one address, while a valid key from it still passes`, async () => {
    const address = '198.51.100.30';
    const failures = await Promise.all(Array.from({ length: LIMITS.guardSourceMaxFailures }, (_, i) => contacts(server.issuer, BAD[i % BAD.length]!, address)));
    expect(failures.every((a) => a.status === 401), failures.map((a) => a.status).join(' ')).to.equal(true);

    const refused = await contacts(server.issuer, BAD[1]!, address);
    expect(refused.status).to.equal(429);
    expect(refused.body.error?.code).to.equal('rate_limited');
    expect(Number(refused.retryAfter)).to.be.within(1, LIFETIMES.guardWindow);
    // Behind the proxy, the address is the entry the proxy appended, whatever the client put before it.
    expect((await contacts(server.issuer, BAD[1]!, `203.0.113.99, ${address}`)).status, 'a made-up first entry').to.equal(429);
    expect((await contacts(server.issuer, BAD[1]!, '203.0.113.30')).status, 'another address').to.equal(401);
    // A neighbour behind the same address with a valid key is not locked out.
    expect((await contacts(server.issuer, key, address)).status, 'a valid key').to.equal(200);
  });

  it('counts failed checks at the key-management routes the same way', async () => {
    const address = '198.51.100.32';
    const manage = (credential: string) => fetch(`${server.issuer}/v1/api-keys`, {
      headers: { authorization: `Bearer ${credential}`, accept: 'application/json', 'x-forwarded-for': address },
    });
    const failures = await Promise.all(Array.from({ length: LIMITS.guardSourceMaxFailures }, (_, i) => manage(BAD[i % BAD.length]!)));
    expect(failures.every((r) => r.status === 401)).to.equal(true);
    expect((await manage(BAD[2]!)).status, 'at the management routes').to.equal(429);
    expect((await contacts(server.issuer, BAD[2]!, address)).status, 'and on the Partner API').to.equal(429);
  });

  it('reads and writes no limiter state in the store on the success path', async () => {
    const store = server.latchkey.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const calls: string[] = [];
    const counterMethods = ['hitCounter', 'readCounter', 'resetCounter'];
    for (const name of counterMethods) {
      const original = store[name]!.bind(store);
      store[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    try {
      const client = await server.createClient({ name: 'Busy', type: 'service', scopes: 'read:contacts' });
      const as = await discover(server.issuer);
      const address = '198.51.100.31';
      for (let i = 0; i < 20; i += 1) {
        const { access_token: token } = await clientCredentials(as, client.clientId, client.clientSecret, 'read:contacts');
        expect((await contacts(server.issuer, token, address)).status).to.equal(200);
        expect((await contacts(server.issuer, key, address)).status).to.equal(200);
      }
      expect(calls, 'counter calls on the success path').to.deep.equal([]);

      // The wrapper does see the limiter when a client authentication fails.
      await clientCredentials(as, client.clientId, 'wrong', 'read:contacts').catch(() => undefined);
      expect(calls).to.include('hitCounter');
    } finally {
      for (const name of counterMethods) delete store[name]; // the store's own methods show through again
    }
  });

  describe('with the window set by the operator (LATCHKEY_GUARD_WINDOW=2s)', () => {
    let short: TestServer;
    before(async () => { short = await startServer({ env: { TRUST_PROXY: 'true', LATCHKEY_GUARD_WINDOW: '2s' } }); });
    after(() => short.stop({ removeData: true }));

    it('lets the address in again once the window has ended', async () => {
      const shortKey = await apiKey(short);
      const address = '198.51.100.32';
      for (let i = 0; i < LIMITS.guardSourceMaxFailures; i += 1) await contacts(short.issuer, BAD[0]!, address);
      const refused = await contacts(short.issuer, BAD[0]!, address);
      expect(refused.status).to.equal(429);
      await sleep(Number(refused.retryAfter) * 1000 + 100);
      expect((await contacts(short.issuer, BAD[0]!, address)).status, 'counted afresh').to.equal(401);
      expect((await contacts(short.issuer, shortKey, address)).status).to.equal(200);
    });
  });
});
