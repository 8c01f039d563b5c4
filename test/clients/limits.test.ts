// The operator's cap on OAuth clients per account (LATCHKEY_CLIENTS_PER_ACCOUNT): the next one is
// refused with limit_reached, naming the way out.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('clients per account', () => {
  let server: TestServer;
  before(async () => { server = await startServer({ env: { LATCHKEY_CLIENTS_PER_ACCOUNT: '2' } }); });
  after(() => server.stop({ removeData: true }));

  it('refuses a client past the cap with 409 limit_reached', async () => {
    const { accountId } = await server.createUser('Capped Co');
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const { key } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:clients', 'read:contacts'], actor: 'cli' });
    recordSecret(key);
    for (let i = 0; i < 2; i += 1) {
      const made = await call(server.issuer, 'POST', '/v1/clients', key, { name: `App ${i}`, type: 'service', scopes: ['read:contacts'] });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      recordSecret(String(made.body.client_secret));
    }
    const third = await call(server.issuer, 'POST', '/v1/clients', key, { name: 'App 3', type: 'service', scopes: ['read:contacts'] });
    expect(third.status).to.equal(409);
    expect(third.body.error).to.deep.include({ code: 'limit_reached' });
    expect(String((third.body.error as { message: string }).message)).to.include('at most 2 OAuth clients');
  });
});
