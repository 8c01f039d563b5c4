// A key's history never vanishes behind newer events of its account; key lists page; an account
// holds at most LATCHKEY_API_KEYS_PER_ACCOUNT live keys.
import { expect } from 'chai';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { generateSortableId, randomBase62, type Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('API key lists, histories and the per-account cap', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;
  let admin: string;
  const MAX = 8;

  before(async () => {
    server = await startServer({ env: { LATCHKEY_API_KEYS_PER_ACCOUNT: String(MAX) } });
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    accountId = (await server.createUser('Lists Co')).accountId;
    admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: [...API_SCOPE_NAMES], actor: 'cli' })).key;
  });
  after(() => server.stop({ removeData: true }));

  it("keeps a key's whole history readable, page by page, however busy the account", async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
    const id = String(created.body.id);
    // 600 newer events of other (already revoked) keys in the account: the old reader looked at the
    // account's newest 500 events only.
    const { store } = server.latchkey;
    const template = (await store.findApiKey(id))!;
    for (let i = 0; i < 600; i += 1) {
      const other = { ...template, id: generateSortableId('key'), hash: randomBase62(43), revokedAt: new Date(), revokedReason: 'filler' };
      await store.createApiKey(other, { id: generateSortableId('evt'), accountId, actor: 'cli', action: 'api_key.created', targetId: other.id, reason: undefined, at: new Date() });
    }
    expect((await store.listAuditEvents(accountId, 500)).some((e) => e.targetId === id), 'out of the newest 500').to.equal(false);
    await call(server.issuer, 'POST', `/v1/api-keys/${id}/revoke`, admin, { reason: 'done' });
    const first = await call(server.issuer, 'GET', `/v1/api-keys/${id}/events?limit=1`, admin);
    expect(first.status).to.equal(200);
    expect((first.body.data as { action: string }[]).map((e) => e.action)).to.deep.equal(['api_key.revoked']);
    expect(first.body.has_more).to.equal(true);
    const next = await call(server.issuer, 'GET', `/v1/api-keys/${id}/events?limit=1&starting_after=${String(first.body.next_starting_after)}`, admin);
    expect((next.body.data as { action: string }[]).map((e) => e.action)).to.deep.equal(['api_key.created']);
    expect(next.body.has_more).to.equal(false);
    expect((await call(server.issuer, 'GET', `/v1/api-keys/${id}/events?limit=0`, admin)).body.error?.field).to.equal('limit');
  });

  it('pages the key list', async () => {
    const all = await call(server.issuer, 'GET', '/v1/api-keys', admin);
    const ids = (all.body.data as { id: string }[]).map((k) => k.id);
    expect(ids.length).to.be.greaterThanOrEqual(2);
    const page1 = await call(server.issuer, 'GET', '/v1/api-keys?limit=1', admin);
    expect((page1.body.data as { id: string }[]).map((k) => k.id)).to.deep.equal(ids.slice(0, 1));
    expect(page1.body.has_more).to.equal(true);
    const page2 = await call(server.issuer, 'GET', `/v1/api-keys?limit=1&starting_after=${String(page1.body.next_starting_after)}`, admin);
    expect((page2.body.data as { id: string }[]).map((k) => k.id)).to.deep.equal(ids.slice(1, 2));
    expect((await call(server.issuer, 'GET', '/v1/api-keys?starting_after=%22x', admin)).status).to.equal(400);
  });

  it(`refuses a key beyond the cap with 409 limit_reached, and makes room when one is revoked`, async () => {
    const live = async () => (await server.latchkey.store.countLiveApiKeys(accountId, new Date()));
    let last: Awaited<ReturnType<typeof call>> | undefined;
    while (await live() < MAX) {
      last = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] });
      expect(last.status).to.equal(201);
    }
    const refused = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] });
    expect(refused.status).to.equal(409);
    expect(refused.body.error?.code).to.equal('limit_reached');
    expect(refused.body.error?.message).to.include(`${MAX} live API keys`);
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${String(last!.body.id)}/revoke`, admin)).status).to.equal(200);
    expect((await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] })).status).to.equal(201);
  });

  it('counts rolled keys in their overlap: at the cap a key rolls only with an overlap of 0', async () => {
    while ((await server.latchkey.store.countLiveApiKeys(accountId, new Date())) < MAX) {
      expect((await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] })).status).to.equal(201);
    }
    const victim = (await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] }));
    expect(victim.status).to.equal(409);
    const keys = await server.latchkey.store.listApiKeys(accountId);
    const target = keys.find((k) => !k.revokedAt && !k.replacedBy && k.scopes.join(' ') === 'read:events')!;
    const withOverlap = await call(server.issuer, 'POST', `/v1/api-keys/${target.id}/roll`, admin, { overlap: '7d' });
    expect(withOverlap.status).to.equal(409);
    expect(withOverlap.body.error?.code).to.equal('limit_reached');
    expect(withOverlap.body.error?.message).to.include('overlap of 0');
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${target.id}/roll`, admin, { overlap: '0' })).status).to.equal(201);
    expect(await server.latchkey.store.countLiveApiKeys(accountId, new Date(Date.now() + 1000))).to.equal(MAX);
  });

  it('pages a credential through its own environment only: no cursor names a key of the other', async () => {
    const own = (await server.createUser('Two Envs Co')).accountId;
    const testAdmin = (await createKey(server.latchkey.store, pepper, { accountId: own, environment: 'test', scopes: ['read:api_keys', 'read:events'], actor: 'cli' })).key;
    const liveIds = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      liveIds.add((await createKey(server.latchkey.store, pepper, { accountId: own, environment: 'live', scopes: ['read:events'], actor: 'cli' })).record.id);
      await createKey(server.latchkey.store, pepper, { accountId: own, environment: 'test', scopes: ['read:events'], actor: 'cli' });
    }
    const seen: string[] = [];
    for (let cursor: string | undefined, page = 0; page < 10; page += 1) {
      const answer = await call(server.issuer, 'GET', `/v1/api-keys?limit=1${cursor ? `&starting_after=${cursor}` : ''}`, testAdmin);
      const data = answer.body.data as { id: string; environment: string }[];
      expect(data).to.have.length(1);
      seen.push(data[0]!.id);
      expect(data[0]!.environment).to.equal('test');
      if (!answer.body.has_more) break;
      cursor = String(answer.body.next_starting_after);
      expect(liveIds.has(cursor), 'a live key id').to.equal(false);
    }
    expect(seen).to.have.length(4);
  });

  it('reads dates and numbers strictly', async () => {
    const bad = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'], expires_at: '2031-02-30' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error?.field).to.equal('expires_at');
    for (const limit of ['0x10', '1e1', ' 5', '-1']) {
      const answer = await call(server.issuer, 'GET', `/v1/api-keys?limit=${encodeURIComponent(limit)}`, admin);
      expect(answer.status, limit).to.equal(400);
    }
  });
});
