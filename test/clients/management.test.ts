// /v1/clients over HTTP: every route, who may call it, and its errors in the documented body.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';

describe('client management API (/v1/clients)', () => {
  let server: TestServer;
  let pepper: Pepper;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  let admin: string;

  async function keyWith(scopes: string[], environment = 'test', accountId = user.accountId): Promise<string> {
    const { key } = await createKey(server.latchkey.store, pepper, { accountId, environment, scopes, actor: 'cli' });
    recordSecret(key);
    return key;
  }

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    user = await server.createUser('Clients Co');
    admin = await keyWith(['read:clients', 'write:clients', 'read:contacts', 'read:events']);
  });
  after(() => server.stop({ removeData: true }));

  const webApp = { name: 'CRM', type: 'web', scopes: ['openid', 'offline_access', 'read:contacts'], redirect_uris: ['https://crm.example/cb'], homepage_url: 'https://crm.example' };

  it('creates a client (secret shown once), lists, gets and patches it, never showing a hash', async () => {
    const created = await call(server.issuer, 'POST', '/v1/clients', admin, webApp);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const secret = String(created.body.client_secret);
    recordSecret(secret);
    expect(secret).to.have.length(43);
    expect(created.body).to.deep.include({ object: 'client', name: 'CRM', type: 'web', environment: 'test', homepage_url: 'https://crm.example/', logo_url: null });
    const id = String(created.body.id);
    const record = await server.latchkey.store.findClient(id);
    expect(record?.createdBy).to.match(/^api_key:key_/);

    const list = await call(server.issuer, 'GET', '/v1/clients', admin);
    expect(list.status).to.equal(200);
    expect((list.body.data as { id: string }[]).map((c) => c.id)).to.include(id);
    const text = JSON.stringify(list.body);
    expect(text).not.to.include(secret).and.not.include(record!.secrets[0]!.hash);
    const got = await call(server.issuer, 'GET', `/v1/clients/${id}`, admin);
    expect(got.body).not.to.have.property('client_secret');
    expect((got.body.secrets as { last4: string }[])[0]!.last4).to.equal(secret.slice(-4));

    const patched = await call(server.issuer, 'PATCH', `/v1/clients/${id}`, admin, { name: 'CRM two', redirect_uris: ['https://crm.example/cb2'] });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    expect(patched.body).to.deep.include({ name: 'CRM two', redirect_uris: ['https://crm.example/cb2'] });
    const events = await server.latchkey.store.listTargetEvents(user.accountId, id, { limit: 10 });
    expect(events.map((e) => e.action)).to.deep.equal(['client.updated', 'client.created']);
    expect(events[0]!.detail).to.deep.equal({ name: 'CRM two', changed: 'name redirect_uris' });
    expect(await storeContents(server)).not.to.include(secret);
  });

  it('pages the list with limit and starting_after', async () => {
    const other = await server.createUser('Paging Co');
    const key = await keyWith(['read:clients', 'write:clients', 'read:events'], 'test', other.accountId);
    for (const name of ['a', 'b', 'c']) {
      expect((await call(server.issuer, 'POST', '/v1/clients', key, { name, type: 'service', scopes: ['read:events'] })).status).to.equal(201);
    }
    const first = await call(server.issuer, 'GET', '/v1/clients?limit=2', key);
    expect(first.body).to.deep.include({ has_more: true });
    const second = await call(server.issuer, 'GET', `/v1/clients?limit=2&starting_after=${String(first.body.next_starting_after)}`, key);
    expect((second.body.data as { name: string }[]).map((c) => c.name)).to.deep.equal(['c']);
    expect(second.body.has_more).to.equal(false);
  });

  it('refuses without a credential (401) and without the scope (403 naming it)', async () => {
    const none = await call(server.issuer, 'GET', '/v1/clients');
    expect(none.status).to.equal(401);
    expect(none.body.error?.code).to.equal('missing_credential');
    const reader = await keyWith(['read:clients']);
    const refused = await call(server.issuer, 'POST', '/v1/clients', reader, { name: 'x', type: 'service', scopes: ['read:contacts'] });
    expect(refused.status).to.equal(403);
    expect(refused.body.error?.code).to.equal('insufficient_scope');
    expect(refused.body.error?.message).to.include('write:clients');
    const noRead = await call(server.issuer, 'GET', '/v1/clients', await keyWith(['read:contacts']));
    expect(noRead.status).to.equal(403);
    expect(noRead.body.error?.message).to.include('read:clients');
  });

  it('answers 404 for another account\'s client and for the other environment', async () => {
    const theirs = await server.createClient({ name: 'Theirs', type: 'service', scopes: 'read:contacts' });
    for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret']] as const) {
      const answer = await call(server.issuer, method, `/v1/clients/${theirs.clientId}${path}`, admin, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(answer.status, `${method} ${path}`).to.equal(404);
      expect(answer.body.error?.code).to.equal('not_found');
    }
    const live = await server.createClient({ accountId: user.accountId, name: 'Live', type: 'service', scopes: 'read:contacts', environment: 'live' });
    expect((await call(server.issuer, 'GET', `/v1/clients/${live.clientId}`, admin)).status).to.equal(404);
    const listed = await call(server.issuer, 'GET', '/v1/clients', admin);
    expect((listed.body.data as { id: string }[]).map((c) => c.id)).not.to.include(live.clientId);
    const wrongEnv = await call(server.issuer, 'POST', '/v1/clients', admin, { name: 'x', type: 'service', scopes: ['read:contacts'], environment: 'live' });
    expect(wrongEnv.status).to.equal(403);
  });

  it('gives a client at most the creating credential\'s scopes (openid and offline_access always)', async () => {
    const refused = await call(server.issuer, 'POST', '/v1/clients', admin, { name: 'x', type: 'service', scopes: ['read:billing'] });
    // The same answer as at /v1/api-keys (issue 26, item 5).
    expect(refused.status).to.equal(403);
    expect(refused.body.error).to.deep.include({ code: 'insufficient_scope', field: 'scopes', missing_scopes: ['read:billing'] });
    expect(refused.body.error?.message).to.include('read:billing');
    const id = String((await call(server.issuer, 'POST', '/v1/clients', admin, webApp)).body.id);
    const widened = await call(server.issuer, 'PATCH', `/v1/clients/${id}`, admin, { scopes: ['read:contacts', 'read:billing'] });
    expect(widened.status).to.equal(403);
    expect(widened.body.error?.message).to.include('read:billing');
  });

  it('never registers a non-consentable scope on a web app, but a service client may hold it', async () => {
    const web = await call(server.issuer, 'POST', '/v1/clients', admin, { ...webApp, scopes: ['openid', 'read:clients'] });
    expect(web.status).to.equal(400);
    expect(web.body.error).to.deep.include({ field: 'scopes' });
    expect(web.body.error?.message).to.include('read:clients');
    const service = await call(server.issuer, 'POST', '/v1/clients', admin, { name: 'Rotator', type: 'service', scopes: ['read:clients', 'write:clients'] });
    expect(service.status).to.equal(201);
    recordSecret(String(service.body.client_secret));
    // Its client-credentials token manages the account's clients.
    const as = await discover(server.issuer);
    const token = await clientCredentials(as, String(service.body.id), String(service.body.client_secret), 'read:clients');
    const listed = await call(server.issuer, 'GET', '/v1/clients', token.access_token);
    expect(listed.status).to.equal(200);
  });

  it('refuses bad input with the field named', async () => {
    const cases: [unknown, string][] = [
      [{ ...webApp, name: '' }, 'name'],
      [{ ...webApp, type: 'robot' }, 'type'],
      [{ ...webApp, scopes: ['read:everything'] }, 'scopes'],
      [{ ...webApp, redirect_uris: undefined }, 'redirect_uris'],
      [{ ...webApp, scopes: 42 }, 'scopes'],
      [{ ...webApp, redirect_uris: ['http://crm.example/cb'] }, 'redirect_uris'],
      [{ ...webApp, redirect_uris: [] }, 'redirect_uris'],
      [{ ...webApp, homepage_url: 'ftp://crm.example' }, 'homepage_url'],
      [{ name: 'x', type: 'service', scopes: ['read:contacts'], redirect_uris: ['https://a.example/cb'] }, 'redirect_uris'],
      [{ ...webApp, colour: 'red' }, 'colour'],
      [{ ...webApp, logo_url: 'http://10.0.0.1/logo.png' }, 'logo_url'],
    ];
    for (const [body, field] of cases) {
      const answer = await call(server.issuer, 'POST', '/v1/clients', admin, body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.body.error, JSON.stringify(body)).to.deep.include({ code: 'validation_failed', field });
      expect(answer.body.error?.message).not.to.match(/["\\]/);
    }
    const id = String((await call(server.issuer, 'POST', '/v1/clients', admin, webApp)).body.id);
    const overlap = await call(server.issuer, 'POST', `/v1/clients/${id}/rotate-secret`, admin, { overlap: '30d' });
    expect(overlap.body.error).to.deep.include({ code: 'validation_failed', field: 'overlap' });
  });

  it('deletes a client (204), then it is gone', async () => {
    const id = String((await call(server.issuer, 'POST', '/v1/clients', admin, webApp)).body.id);
    expect((await call(server.issuer, 'DELETE', `/v1/clients/${id}`, admin)).status).to.equal(204);
    expect((await call(server.issuer, 'GET', `/v1/clients/${id}`, admin)).status).to.equal(404);
    const events = await server.latchkey.store.listAuditEvents(user.accountId, 50);
    expect(events.find((e) => e.targetId === id && e.action === 'client.deleted')?.detail).to.deep.include({ name: 'CRM' });
  });

  it('accepts a portal session for both environments, with X-CSRF-Token on changes', async () => {
    const browser = new Browser();
    const login = await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:');
    const form = Browser.forms(pageOf(login))[0]!;
    await browser.submit(form, { email: user.email, password: user.password }, 'nowhere:');
    const home = await browser.navigate(`${server.issuer}/portal`, 'nowhere:');
    const csrf = Browser.forms(pageOf(home)).map((f) => f.fields._csrf).find(Boolean)!;
    const post = (headers: Record<string, string>) => browser.request(`${server.issuer}/v1/clients`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ name: 'Live svc', type: 'service', scopes: ['read:billing'], environment: 'live' }),
    });
    const forged = await post({});
    expect(forged.status).to.equal(403);
    expect((JSON.parse(forged.html) as { error: { code: string } }).error.code).to.equal('csrf_failed');
    const ok = await post({ 'x-csrf-token': csrf });
    expect(ok.status, ok.html).to.equal(201);
    const body = JSON.parse(ok.html) as { id: string; client_secret: string; created_by: string; environment: string };
    recordSecret(body.client_secret);
    expect(body).to.deep.include({ environment: 'live', created_by: `user:${user.userId}` });
    const list = await browser.request(`${server.issuer}/v1/clients`, { headers: { accept: 'application/json' } });
    expect(list.status).to.equal(200);
  });
});
