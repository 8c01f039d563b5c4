// A credential never mints a key that outreaches or outlives it: scopes within the creator's,
// expiry no later than the creator's, and a key made with a user-delegated token dies with its grant.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { authorizeAndExchange, client, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('API keys minted through the API never outreach or outlive their creator', () => {
  let server: TestServer;
  let pepper: Pepper;
  let as: oauth.AuthorizationServer;
  const redirectUri = 'http://localhost:8765/callback';

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    as = await discover(server.issuer);
  });
  after(() => server.stop({ removeData: true }));

  const day = 86_400_000;

  it('refuses scopes a client-credentials token does not hold, naming them', async () => {
    const svc = await server.createClient({ name: 'Rotator', type: 'service', scopes: 'write:api_keys read:contacts' });
    const onlyManage = (await clientCredentials(as, svc.clientId, svc.clientSecret, 'write:api_keys')).access_token;
    const denied = await call(server.issuer, 'POST', '/v1/api-keys', onlyManage, { scopes: ['read:contacts', 'read:billing'] });
    expect(denied.status).to.equal(403);
    expect(denied.body.error?.code).to.equal('insufficient_scope');
    expect(denied.body.error?.missing_scopes).to.deep.equal(['read:contacts', 'read:billing']);
    expect(denied.body.error).to.include({ scope_docs: `${server.issuer}/docs/scopes#read:contacts`, docs_url: `${server.issuer}/docs/errors#insufficient_scope` });
    expect(denied.body.error?.message).to.include('read:contacts read:billing');

    const both = (await clientCredentials(as, svc.clientId, svc.clientSecret, 'write:api_keys read:contacts')).access_token;
    const created = await call(server.issuer, 'POST', '/v1/api-keys', both, { scopes: ['read:contacts'] });
    expect(created.status).to.equal(201);
    expect(created.body.created_by).to.equal(`client:${svc.clientId}`);
    expect((await call(server.issuer, 'GET', '/api/v1/invoices', String(created.body.key))).status).to.equal(403);
  });

  it('caps the expiry of a key made with an expiring API key', async () => {
    const { accountId } = await server.createUser('Expiring Co');
    const creatorExpiry = new Date(Date.now() + 3 * day);
    const creator = (await createKey(server.latchkey.store, pepper, {
      accountId, environment: 'test', scopes: ['write:api_keys', 'read:contacts'], expiresAt: creatorExpiry.toISOString(), actor: 'cli',
    })).key;
    const unbounded = await call(server.issuer, 'POST', '/v1/api-keys', creator, { scopes: ['read:contacts'] });
    expect(unbounded.status).to.equal(201);
    expect(Date.parse(String(unbounded.body.expires_at))).to.equal(creatorExpiry.getTime());
    const later = await call(server.issuer, 'POST', '/v1/api-keys', creator, { scopes: ['read:contacts'], expires_at: new Date(Date.now() + 30 * day).toISOString() });
    expect(Date.parse(String(later.body.expires_at)), 'clamped to the creator').to.equal(creatorExpiry.getTime());
    const sooner = new Date(Date.now() + day);
    const earlier = await call(server.issuer, 'POST', '/v1/api-keys', creator, { scopes: ['read:contacts'], expires_at: sooner.toISOString() });
    expect(Date.parse(String(earlier.body.expires_at))).to.equal(sooner.getTime());
  });

  describe('with a token a user delegated to a third-party app', () => {
    let app: WebApp;
    before(async () => {
      const web = await server.createClient({ name: 'Marketplace App', type: 'web', scopes: 'offline_access write:api_keys read:contacts', redirectUris: [redirectUri] });
      app = { as, clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
    });

    it('mints only scopes the user approved, bound to the grant, and the key dies with the grant', async () => {
      const customer = await server.createUser('Delegating Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access write:api_keys' });
      const escalation = await call(server.issuer, 'POST', '/v1/api-keys', tokens.access_token, { scopes: ['read:contacts'] });
      expect(escalation.status).to.equal(403);
      expect(escalation.body.error?.missing_scopes).to.deep.equal(['read:contacts']);

      const created = await call(server.issuer, 'POST', '/v1/api-keys', tokens.access_token, { name: 'minted', scopes: ['write:api_keys'] });
      expect(created.status).to.equal(201);
      expect(created.body.created_by).to.equal(`user:${customer.userId} via client:${app.clientId}`);
      const grantExpiry = Date.parse(String(created.body.expires_at));
      expect(grantExpiry, 'expires no later than the grant (365 days)').to.be.within(Date.now() + 364 * day, Date.now() + 366 * day);
      const key = String(created.body.key);
      expect((await call(server.issuer, 'GET', '/v1/api-keys', key)).status, 'the key works').to.equal(403); // holds write only

      // The app rolls it: the successor is bound to the grant too.
      const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/roll`, tokens.access_token, { overlap: '0' });
      expect(rolled.status).to.equal(201);
      const successor = String(rolled.body.key);

      // The client revokes its refresh token (RFC 7009): the grant dies, and the keys with it.
      const { client: c, auth } = client(app);
      await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, tokens.refresh_token!, insecure));
      const dead = await call(server.issuer, 'POST', '/v1/api-keys', successor, { scopes: ['write:api_keys'] });
      expect(dead.status).to.equal(401);
      expect(dead.body.error?.message).to.include('grant revoked');
      const record = await server.latchkey.store.findApiKey(String(rolled.body.id));
      expect(record?.revokedReason).to.equal('grant revoked: the client revoked a token of the grant (RFC 7009)');
      const events = await server.latchkey.store.listTargetEvents(customer.accountId, String(created.body.id), { limit: 10 });
      expect(events.map((e) => e.action)).to.deep.equal(['api_key.revoked', 'api_key.rolled', 'api_key.created']);
      expect(events[0]?.actor).to.equal(`client:${app.clientId}`);

      // The access token is still a valid JWT for a few minutes, but its grant is gone: it manages
      // nothing any more (no keys made, none listed, none revoked).
      for (const [method, path, body] of [['POST', '/v1/api-keys', { scopes: ['write:api_keys'] }], ['GET', '/v1/api-keys', undefined],
        ['POST', `/v1/api-keys/${String(created.body.id)}/revoke`, {}]] as const) {
        const late = await call(server.issuer, method, path, tokens.access_token, body);
        expect(late.status, `${method} ${path}`).to.equal(401);
        expect(late.body.error?.code).to.equal('invalid_token');
        expect(late.headers.get('www-authenticate')).to.include('error="invalid_token"');
      }
    });

    it("refuses to move another app's key under this app's grant by rolling it", async () => {
      const other = await server.createClient({ name: 'Second App', type: 'web', scopes: 'offline_access write:api_keys read:contacts', redirectUris: [redirectUri] });
      const second: WebApp = { as, clientId: other.clientId, clientSecret: other.clientSecret, redirectUri };
      const customer = await server.createUser('Two Apps Co');
      const first = (await authorizeAndExchange(app, customer, { scope: 'offline_access write:api_keys read:contacts' })).tokens;
      const made = await call(server.issuer, 'POST', '/v1/api-keys', first.access_token, { scopes: ['read:contacts'] });
      expect(made.status).to.equal(201);
      const secondTokens = (await authorizeAndExchange(second, customer, { scope: 'offline_access write:api_keys read:contacts' })).tokens;
      const roll = await call(server.issuer, 'POST', `/v1/api-keys/${String(made.body.id)}/roll`, secondTokens.access_token, { overlap: '0' });
      expect(roll.status).to.equal(403);
      expect(roll.body.error?.code).to.equal('forbidden');
      expect((await server.latchkey.store.findApiKey(String(made.body.id)))?.replacedBy, 'nothing rolled').to.equal(undefined);
    });

    it('caps a requested expiry at the grant, and a rolled key keeps the bound', async () => {
      const customer = await server.createUser('Capped Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access write:api_keys read:contacts' });
      const far = new Date(Date.now() + 3 * 365 * day).toISOString();
      const created = await call(server.issuer, 'POST', '/v1/api-keys', tokens.access_token, { scopes: ['read:contacts'], expires_at: far });
      expect(created.status).to.equal(201);
      const bound = Date.parse(String(created.body.expires_at));
      expect(bound).to.be.below(Date.now() + 366 * day);
      const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/roll`, tokens.access_token, { overlap: '0' });
      expect(Date.parse(String(rolled.body.expires_at))).to.equal(bound);
    });
  });

  it('refuses to roll a key whose scopes the roller does not hold', async () => {
    const svc = await server.createClient({ name: 'Narrow', type: 'service', scopes: 'read:api_keys write:api_keys' });
    const token = (await clientCredentials(as, svc.clientId, svc.clientSecret, 'read:api_keys write:api_keys')).access_token;
    const wide = await createKey(server.latchkey.store, pepper, { accountId: svc.accountId, environment: 'test', scopes: ['read:billing'], actor: 'cli' });
    const roll = await call(server.issuer, 'POST', `/v1/api-keys/${wide.record.id}/roll`, token, { overlap: '0' });
    expect(roll.status).to.equal(403);
    expect(roll.body.error?.missing_scopes).to.deep.equal(['read:billing']);
    expect((await server.latchkey.store.findApiKey(wide.record.id))?.replacedBy, 'nothing rolled').to.equal(undefined);
  });

  it('revokes the keys a key made (and theirs) when it is revoked', async () => {
    const { accountId } = await server.createUser('Family Co');
    const owner = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:api_keys', 'read:contacts'], actor: 'cli' })).key;
    const parent = await call(server.issuer, 'POST', '/v1/api-keys', owner, { scopes: ['write:api_keys', 'read:contacts'] });
    const child = await call(server.issuer, 'POST', '/v1/api-keys', String(parent.body.key), { scopes: ['write:api_keys', 'read:contacts'] });
    const grandchild = await call(server.issuer, 'POST', '/v1/api-keys', String(child.body.key), { scopes: ['read:contacts'] });
    const sibling = await call(server.issuer, 'POST', '/v1/api-keys', owner, { scopes: ['read:contacts'] });
    for (const made of [parent, child, grandchild, sibling]) expect(made.status).to.equal(201);

    expect((await call(server.issuer, 'POST', `/v1/api-keys/${String(parent.body.id)}/revoke`, owner, { reason: 'leaked' })).status).to.equal(200);
    for (const descendant of [child, grandchild]) {
      const used = await call(server.issuer, 'GET', '/api/v1/contacts', String(descendant.body.key));
      expect(used.status).to.equal(401);
      expect(used.body.error?.message).to.include(`created by revoked key ${String(parent.body.id)}`);
    }
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(sibling.body.key))).status, 'a key the owner made').to.equal(200);
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', owner)).status, 'the owner').to.equal(200);
  });
});
