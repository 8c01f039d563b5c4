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
});
