// Nothing a leaked credential created outlives it (finding M4): a service client and a webhook that a
// key registered are disabled when the key is revoked (by its owner or by a leak report), in the same
// transaction; the client's owner gets it back only by rotating its secret.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { PUBLIC_REVOKE_PATH } from '../../server/leaks/public-routes.ts';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover, expectOAuthError } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('lineage: what a revoked credential created (M4)', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    ({ accountId } = await server.createUser('Lineage Co'));
  });
  after(() => server.stop({ removeData: true }));

  async function leakyKey(): Promise<{ key: string; id: string }> {
    const { key, record } = await createKey(server.latchkey.store, pepper, {
      accountId, environment: 'test', scopes: ['read:clients', 'write:clients', 'read:contacts', 'write:webhooks', 'read:api_keys'], actor: 'cli',
    });
    recordSecret(key);
    return { key, id: record.id };
  }

  async function registerBackdoor(key: string) {
    const created = await call(server.issuer, 'POST', '/v1/clients', key, { name: 'Backdoor', type: 'service', scopes: ['read:contacts'] });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const secret = String(created.body.client_secret);
    recordSecret(secret);
    const as = await discover(server.issuer);
    recordSecret((await clientCredentials(as, String(created.body.id), secret, 'read:contacts')).access_token);
    return { as, clientId: String(created.body.id), secret };
  }

  it('a leak report of the key disables the service client it registered: no more tokens, until its owner rotates', async () => {
    const { key } = await leakyKey();
    const { as, clientId, secret } = await registerBackdoor(key);
    const report = await fetch(`${server.issuer}${PUBLIC_REVOKE_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [key] }),
    });
    expect(report.status).to.equal(202);
    expect((await expectOAuthError(() => clientCredentials(as, clientId, secret, 'read:contacts'))).error).to.equal('invalid_client');
    const events = await server.latchkey.store.listTargetEvents(accountId, clientId, { limit: 5 });
    expect(events.map((e) => e.action)).to.include('client.disabled');

    const rotated = await call(server.issuer, 'POST', `/v1/clients/${clientId}/rotate-secret`, await portalLessAdmin(), { overlap: '0s' });
    expect(rotated.status, JSON.stringify(rotated.body)).to.equal(201);
    const fresh = String(rotated.body.client_secret);
    recordSecret(fresh);
    recordSecret((await clientCredentials(as, clientId, fresh, 'read:contacts')).access_token);
  });

  it('revoking the key by its owner disables its clients and webhooks too', async () => {
    const { key, id } = await leakyKey();
    const { as, clientId, secret } = await registerBackdoor(key);
    const hook = await call(server.issuer, 'POST', '/api/v1/webhooks', key, { url: 'https://hooks.example/x', events: ['api_key.revoked'] });
    expect(hook.status, JSON.stringify(hook.body)).to.equal(201);
    recordSecret(String(hook.body.secret));

    const admin = await portalLessAdmin();
    const shown = await call(server.issuer, 'GET', `/v1/api-keys/${id}`, admin);
    expect(shown.body.created, 'the key shows what it created').to.deep.include({ clients: [clientId] });
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${id}/revoke`, admin, {})).status).to.equal(200);
    expect((await expectOAuthError(() => clientCredentials(as, clientId, secret, 'read:contacts'))).error).to.equal('invalid_client');
    const webhook = await server.latchkey.store.findWebhook({ accountId, environment: 'test' }, String(hook.body.id));
    expect(webhook?.data.disabled_at, 'the webhook is disabled').to.be.a('string');
  });

  it('a dead key (rolled past its overlap) cannot be revoked again (409), and its live successor is untouched', async () => {
    const admin = await portalLessAdmin();
    const { id } = await leakyKey();
    const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${id}/roll`, admin, { overlap: 0 });
    expect(rolled.status, JSON.stringify(rolled.body)).to.equal(201);
    recordSecret(String(rolled.body.key));
    const again = await call(server.issuer, 'POST', `/v1/api-keys/${id}/revoke`, admin, {});
    expect(again.status, JSON.stringify(again.body)).to.equal(409);
    expect((await server.latchkey.store.findApiKey(String(rolled.body.id)))?.revokedAt).to.equal(undefined);
  });

  /** A key that holds every scope used here, standing in for the account's owner. */
  async function portalLessAdmin(): Promise<string> {
    const { key } = await createKey(server.latchkey.store, pepper, {
      accountId, environment: 'test', scopes: ['read:clients', 'write:clients', 'read:contacts', 'read:api_keys', 'write:api_keys', 'write:webhooks'], actor: 'cli',
    });
    recordSecret(key);
    return key;
  }
});
