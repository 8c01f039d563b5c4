// A revocation reason is one line of free text: it is validated, kept out of every header, and a
// key revoked with any such reason answers a clean 401 ever after.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('API key revocation reasons', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;
  let admin: string;

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    accountId = (await server.createUser('Reasons Co')).accountId;
    admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:api_keys', 'read:contacts'], actor: 'cli' })).key;
  });
  after(() => server.stop({ removeData: true }));

  for (const [label, reason] of [['CR/LF', 'laptop\r\nX-Injected: yes'], ['a NUL', 'a\u0000b'], ['a line separator', 'a\u2028b'], ['a right-to-left override', 'fine \u202Edesrever'], ['a zero-width space', 'a\u200Bb'], ['201 characters', 'x'.repeat(201)]]) {
    it(`refuses a reason with ${label}, naming the field`, async () => {
      const key = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
      const refused = await call(server.issuer, 'POST', `/v1/api-keys/${String(key.body.id)}/revoke`, admin, { reason });
      expect(refused.status).to.equal(400);
      expect(refused.body.error?.field).to.equal('reason');
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(key.body.key))).status, 'still active').to.equal(200);
    });
  }

  it('accepts a reason in any script, and keeps it out of WWW-Authenticate', async () => {
    const key = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
    const reason = 'ノートPCを紛失 — perdu à Paris';
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${String(key.body.id)}/revoke`, admin, { reason })).status).to.equal(200);
    for (let i = 0; i < 2; i += 1) {
      const used = await call(server.issuer, 'GET', '/api/v1/contacts', String(key.body.key));
      expect(used.status).to.equal(401);
      expect(used.body.error?.message).to.equal(`the API key was revoked: ${reason}`);
      expect(used.headers.get('www-authenticate')).to.equal('Bearer realm="latchkey", error="invalid_token", error_description="the API key was revoked", '
        + `resource_metadata="${server.issuer}/.well-known/oauth-protected-resource/api"`);
    }
  });

  it('answers a clean 401 for a key revoked with a control character before reasons were checked', async () => {
    const { record, key } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
    await server.latchkey.store.revokeApiKey(record.id, new Date(), 'old\r\nreason é', { id: 'evt_legacy', accountId, actor: 'cli', action: 'api_key.revoked', targetId: record.id, reason: undefined, at: new Date() });
    const used = await call(server.issuer, 'GET', '/api/v1/contacts', key);
    expect(used.status).to.equal(401);
    expect(used.headers.get('www-authenticate')).to.include('error="invalid_token"');
  });

  it('refuses a key name with control or formatting characters, naming the field', async () => {
    for (const name of ['line\r\nbreak', 'nul\u0000', 'bidi\u202E']) {
      const refused = await call(server.issuer, 'POST', '/v1/api-keys', admin, { name, scopes: ['read:contacts'] });
      expect(refused.status, JSON.stringify(name)).to.equal(400);
      expect(refused.body.error?.field).to.equal('name');
    }
  });
});
