// The guard's API-key cache: a known key costs no store read, yet a revocation on this instance is
// refused from the very next request, and a rolled key's overlap ends on time with the cache warm.
import { expect } from 'chai';
import type { ApiKeyRecord } from '../../adapters/contract.ts';
import { createKey, revokeKey, rollKey } from '../../server/api-keys/service.ts';
import { CREDENTIALS_POLL_INTERVAL_MS as POLL_INTERVAL_MS } from '../../adapters/credentials-changes.ts';
import { ApiKeyCache } from '../../server/api-keys/key-cache.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const contacts = (server: TestServer, key: string) => call(server.issuer, 'GET', '/api/v1/contacts', key);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Past the change signal's next poll, which empties the cache again after a change made here. */
const settle = () => sleep(POLL_INTERVAL_MS + 200);

describe('the guard\'s API-key cache', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;
  /** Calls to findApiKeyByHash since the last reset. */
  let reads = 0;

  before(async () => {
    server = await startServer();
    pepper = (await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger)).pepper;
    accountId = (await server.createUser()).accountId;
    const store = server.latchkey.store as unknown as { findApiKeyByHash: (hash: string) => Promise<ApiKeyRecord | undefined> };
    const original = store.findApiKeyByHash.bind(store);
    store.findApiKeyByHash = (hash: string) => {
      reads += 1;
      return original(hash);
    };
  });
  after(() => server.stop({ removeData: true }));

  const newKey = () => createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });

  it('reads a known key from memory: no store lookup on the success path', async () => {
    const { key } = await newKey();
    await settle();
    expect((await contacts(server, key)).status).to.equal(200);
    reads = 0;
    for (let i = 0; i < 5; i += 1) expect((await contacts(server, key)).status).to.equal(200);
    expect(reads, 'store lookups with a warm cache').to.equal(0);
  });

  it('refuses a key revoked on this instance on the very next request, with the cache warm', async () => {
    const { key, record } = await newKey();
    expect((await contacts(server, key)).status).to.equal(200);
    expect((await contacts(server, key)).status, 'served from the cache').to.equal(200);
    await revokeKey(server.latchkey.store, record, 'leaked in a test', 'cli');
    const refused = await contacts(server, key);
    expect(refused.status).to.equal(401);
    expect(refused.body.error?.message).to.match(/revoked/);
  });

  it('accepts a rolled key\'s old value during its overlap and refuses it after, with the cache warm', async () => {
    const original = await newKey();
    expect((await contacts(server, original.key)).status).to.equal(200);
    const rolled = await rollKey(server.latchkey.store, pepper, original.record, 2, 'cli');
    const overlapEnd = Date.now() + 2000;
    expect((await contacts(server, original.key)).status, 'inside the overlap').to.equal(200);
    expect((await contacts(server, rolled.key)).status, 'the new key').to.equal(200);
    await settle();
    expect((await contacts(server, original.key)).status, 'still inside the overlap').to.equal(200);
    reads = 0;
    await sleep(overlapEnd - Date.now() + 100);
    const dead = await contacts(server, original.key);
    expect(dead.status, 'after the overlap').to.equal(401);
    expect(dead.body.error?.message).to.match(/expired/);
    expect(reads, 'the end of the overlap is a matter of time, not of a store read').to.equal(0);
    expect((await contacts(server, rolled.key)).status).to.equal(200);
  });

  it('refuses an old key at once after a roll with no overlap, with the cache warm', async () => {
    const original = await newKey();
    expect((await contacts(server, original.key)).status).to.equal(200);
    await rollKey(server.latchkey.store, pepper, original.record, 0, 'cli');
    expect((await contacts(server, original.key)).status).to.equal(401);
  });
});

describe('ApiKeyCache', () => {
  const record = (id: string) => ({ id, accountId: 'acc', environment: 'test', scopes: ['read:contacts'] }) as unknown as ApiKeyRecord;

  function fakeStore() {
    const rows = new Map<string, ApiKeyRecord>([['h1', record('k1')], ['h2', record('k2')], ['h3', record('k3')]]);
    let lookups = 0;
    let gate: Promise<void> | undefined;
    return {
      rows,
      get lookups() { return lookups; },
      hold(promise: Promise<void>) { gate = promise; },
      async findApiKeyByHash(hash: string) {
        lookups += 1;
        const row = rows.get(hash);
        if (gate) await gate;
        return row;
      },
    };
  }

  it('drops everything when the change signal fires, and re-reads', async () => {
    const store = fakeStore();
    let fire: () => void = () => { throw new Error('no listener subscribed'); };
    const cache = new ApiKeyCache(store, { onChange: (listener) => { fire = listener; } });
    await cache.find('h1');
    await cache.find('h1');
    expect(store.lookups).to.equal(1);
    store.rows.set('h1', { ...record('k1'), revokedAt: new Date() });
    fire();
    expect((await cache.find('h1'))?.record.revokedAt).to.be.instanceOf(Date);
    expect(store.lookups).to.equal(2);
  });

  it('does not keep what a lookup read before an invalidation it straddled', async () => {
    const store = fakeStore();
    const cache = new ApiKeyCache(store);
    let release!: () => void;
    store.hold(new Promise((resolve) => { release = resolve; }));
    const pending = cache.find('h1');
    cache.invalidateAll();
    release();
    await pending;
    expect(cache.size).to.equal(0);
  });

  it('keeps at most maxEntries, dropping the least recently used, and never caches an unknown key', async () => {
    const store = fakeStore();
    const cache = new ApiKeyCache(store, { maxEntries: 2 });
    await cache.find('h1');
    await cache.find('h2');
    await cache.find('h1');
    await cache.find('h3');
    await cache.find('nope');
    expect(cache.size).to.equal(2);
    const before = store.lookups;
    await cache.find('h1');
    expect(store.lookups, 'h1 was used recently and stays').to.equal(before);
    await cache.find('h2');
    expect(store.lookups, 'h2 was the least recently used and went').to.equal(before + 1);
  });

  it('knows a key again by the digest of what was presented, only while its entry is cached', async () => {
    const store = fakeStore();
    let fire: () => void = () => { throw new Error('no listener subscribed'); };
    const cache = new ApiKeyCache(store, { onChange: (listener) => { fire = listener; } });
    const found = (await cache.find('h1'))!;
    cache.rememberAs('digest-1', { found, hash: 'h1' });
    expect(cache.knownAs('digest-1')?.found.record.id).to.equal('k1');
    expect(cache.knownAs('digest-2'), 'never presented').to.equal(undefined);
    fire();
    expect(cache.knownAs('digest-1'), 'a change drops it with the entry').to.equal(undefined);
    cache.rememberAs('digest-1', { found, hash: 'h1' });
    expect(cache.knownAs('digest-1'), 'an entry read before the change is not remembered').to.equal(undefined);
  });
});
