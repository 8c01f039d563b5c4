// Webhooks under the authority rule: a webhook's privileges are the scopes its events reveal
// (config/webhooks.ts), so a credential subscribes to, reads or changes only webhooks whose events
// it could read itself; and the audit log is read with read:audit.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('authority over webhooks and the audit log', () => {
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
    ({ accountId } = await server.createUser('Hooks Co'));
  });
  after(() => server.stop({ removeData: true }));

  it('a write:webhooks key cannot subscribe to security events it could not read, nor act on such a webhook', async () => {
    const { key: narrow } = await keyWith(['write:webhooks', 'read:contacts']);
    const refused = await call(server.issuer, 'POST', '/api/v1/webhooks', narrow, { url: 'https://hooks.example/a', events: ['api_key.exposed'] });
    expect(refused.status, JSON.stringify(refused.body)).to.equal(403);
    expect(String((refused.body.error as { message: string }).message)).to.include('read:api_keys');

    const { key: wide } = await keyWith(['write:webhooks', 'read:api_keys', 'read:clients']);
    const made = await call(server.issuer, 'POST', '/api/v1/webhooks', wide, { url: 'https://hooks.example/b', events: ['client_secret.exposed'] });
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    recordSecret(String(made.body.secret));
    const id = String(made.body.id);
    expect((await call(server.issuer, 'GET', `/api/v1/webhooks/${id}`, narrow)).status).to.equal(403);
    expect((await call(server.issuer, 'PATCH', `/api/v1/webhooks/${id}`, narrow, { url: 'https://evil.example/x' })).status).to.equal(403);
    expect((await call(server.issuer, 'DELETE', `/api/v1/webhooks/${id}`, narrow)).status).to.equal(403);
    const list = await call(server.issuer, 'GET', '/api/v1/webhooks', narrow);
    expect((list.body.data as { id: string }[]).map((w) => w.id)).not.to.include(id);
    const contactHook = await call(server.issuer, 'POST', '/api/v1/webhooks', narrow, { url: 'https://hooks.example/c', events: ['contact.created'] });
    expect(contactHook.status).to.equal(201);
    recordSecret(String(contactHook.body.secret));
  });

  it("reads a key's history only with read:audit", async () => {
    const { id } = await keyWith(['read:contacts']);
    const { key: reader } = await keyWith(['read:api_keys', 'read:contacts']);
    const refused = await call(server.issuer, 'GET', `/v1/api-keys/${id}/events`, reader);
    expect(refused.status).to.equal(403);
    expect(refused.body.error).to.deep.include({ code: 'insufficient_scope' });
    const { key: auditor } = await keyWith(['read:api_keys', 'read:audit', 'read:contacts']);
    expect((await call(server.issuer, 'GET', `/v1/api-keys/${id}/events`, auditor)).status).to.equal(200);
  });
});
