// "Never more than it holds" covers what a credential acts on, not only what it creates: a key may
// read, change, rotate or delete a client (or a key) only when the target's scopes are within its
// own, and a list shows only what it reaches (finding M1). A signed-in owner keeps full choice.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('authority over targets (M1)', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;

  async function keyWith(scopes: string[]): Promise<{ key: string; id: string }> {
    const { key, record } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes, actor: 'cli' });
    recordSecret(key);
    return { key, id: record.id };
  }

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    ({ accountId } = await server.createUser('Targets Co'));
  });
  after(() => server.stop({ removeData: true }));

  it('a write:clients key cannot rotate, read, edit or delete a client holding scopes it lacks, nor see it listed', async () => {
    const { key } = await keyWith(['read:clients', 'write:clients']);
    const billing = await server.createClient({ accountId, name: 'Billing export', type: 'service', scopes: 'read:billing write:api_keys' });
    const web = await server.createClient({
      accountId, name: 'CRM', type: 'web', scopes: 'openid offline_access read:contacts', redirectUris: ['https://crm.example/cb'],
    });

    const rotated = await call(server.issuer, 'POST', `/v1/clients/${billing.clientId}/rotate-secret`, key, { overlap: '0s' });
    expect(rotated.status, JSON.stringify(rotated.body)).to.equal(403);
    expect(rotated.body.error).to.deep.include({ code: 'insufficient_scope' });
    expect(String((rotated.body.error as { message: string }).message)).to.include('read:billing').and.include('write:api_keys');

    const repointed = await call(server.issuer, 'PATCH', `/v1/clients/${web.clientId}`, key, { redirect_uris: ['https://evil.example/cb'] });
    expect(repointed.status, JSON.stringify(repointed.body)).to.equal(403);
    expect((await server.latchkey.store.findClient(web.clientId))?.redirectUris).to.deep.equal(['https://crm.example/cb']);

    expect((await call(server.issuer, 'GET', `/v1/clients/${billing.clientId}`, key)).status).to.equal(403);
    expect((await call(server.issuer, 'DELETE', `/v1/clients/${billing.clientId}`, key)).status).to.equal(403);
    const list = await call(server.issuer, 'GET', '/v1/clients', key);
    expect(list.status).to.equal(200);
    expect((list.body.data as { id: string }[]).map((c) => c.id)).not.to.include.members([billing.clientId, web.clientId]);
  });

  it('a key holding every scope of the client may act on it', async () => {
    const client = await server.createClient({ accountId, name: 'Narrow', type: 'service', scopes: 'read:contacts' });
    const { key } = await keyWith(['read:clients', 'write:clients', 'read:contacts']);
    expect((await call(server.issuer, 'GET', `/v1/clients/${client.clientId}`, key)).status).to.equal(200);
    const list = await call(server.issuer, 'GET', '/v1/clients', key);
    expect((list.body.data as { id: string }[]).map((c) => c.id)).to.include(client.clientId);
    const rotated = await call(server.issuer, 'POST', `/v1/clients/${client.clientId}/rotate-secret`, key, { overlap: '1h' });
    expect(rotated.status).to.equal(201);
    recordSecret(String(rotated.body.client_secret));
  });

  it('a write:api_keys key cannot roll, revoke or read a key holding scopes it lacks, nor see it listed', async () => {
    const { key } = await keyWith(['read:api_keys', 'write:api_keys']);
    const { id: wide } = await keyWith(['read:billing']);
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${wide}/roll`, key, {})).status).to.equal(403);
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${wide}/revoke`, key, {})).status).to.equal(403);
    expect((await call(server.issuer, 'GET', `/v1/api-keys/${wide}`, key)).status).to.equal(403);
    expect((await server.latchkey.store.findApiKey(wide))?.revokedAt).to.equal(undefined);
    const list = await call(server.issuer, 'GET', '/v1/api-keys', key);
    expect((list.body.data as { id: string }[]).map((k) => k.id)).not.to.include(wide);
  });
});
