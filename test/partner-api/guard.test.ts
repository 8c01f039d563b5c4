// Every Partner API route, with every kind of credential: status, headers and body.
import { expect } from 'chai';
import { SignJWT, importJWK } from 'jose';
import { withLowS } from '../helpers/ecdsa.ts';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { createKey, rollKey, revokeKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call, type ApiResponse } from '../helpers/api.ts';
import { authorizeAndExchange } from '../helpers/flows.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PARTNER_SCOPES = ['read:contacts', 'write:contacts', 'read:events', 'write:webhooks', 'read:billing'];

interface Route {
  method: string;
  path: (ids: { contact: string; webhook: string }) => string;
  scope: string;
  body?: unknown;
  success: number;
}

const ROUTES: Route[] = [
  { method: 'GET', path: () => '/api/v1/contacts', scope: 'read:contacts', success: 200 },
  { method: 'GET', path: (ids) => `/api/v1/contacts/${ids.contact}`, scope: 'read:contacts', success: 200 },
  { method: 'POST', path: () => '/api/v1/contacts', scope: 'write:contacts', body: { name: 'Grace Hopper', email: 'grace@example.com' }, success: 201 },
  { method: 'PATCH', path: (ids) => `/api/v1/contacts/${ids.contact}`, scope: 'write:contacts', body: { company: 'Navy' }, success: 200 },
  { method: 'DELETE', path: (ids) => `/api/v1/contacts/${ids.contact}`, scope: 'write:contacts', success: 200 },
  { method: 'GET', path: () => '/api/v1/events', scope: 'read:events', success: 200 },
  { method: 'GET', path: () => '/api/v1/webhooks', scope: 'write:webhooks', success: 200 },
  { method: 'POST', path: () => '/api/v1/webhooks', scope: 'write:webhooks', body: { url: 'https://hooks.partner.example/latchkey', events: ['contact.created'] }, success: 201 },
  { method: 'DELETE', path: (ids) => `/api/v1/webhooks/${ids.webhook}`, scope: 'write:webhooks', success: 200 },
  { method: 'GET', path: () => '/api/v1/invoices', scope: 'read:billing', success: 200 },
];

describe('the guard on every Partner API route', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountA: string;
  const keys: Record<string, string> = {};
  const jwts: Record<string, string> = {};

  async function key(accountId: string, environment: string, scopes: string[]) {
    return (await createKey(server.latchkey.store, pepper, { accountId, environment, scopes, actor: 'cli' })).key;
  }

  /** A fresh contact and webhook for routes that need an id, made with the all-scopes key. */
  async function freshIds(credential = keys.all!) {
    const contact = await call(server.issuer, 'POST', '/api/v1/contacts', credential, { name: 'Ada Lovelace' });
    const webhook = await call(server.issuer, 'POST', '/api/v1/webhooks', credential, { url: 'https://hooks.example/x', events: ['contact.updated'] });
    return { contact: String(contact.body.id), webhook: String(webhook.body.id) };
  }

  function expectSuccess(route: Route, res: ApiResponse, label: string) {
    expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(route.success);
    expect(res.headers.get('cache-control'), label).to.equal('no-store');
  }

  function expectForbidden(route: Route, res: ApiResponse, label: string) {
    expect(res.status, label).to.equal(403);
    expect(res.headers.get('www-authenticate'), label).to.match(new RegExp(`^Bearer .*error="insufficient_scope", scope="${route.scope}"`));
    expect(res.body.error?.code, label).to.equal('insufficient_scope');
    expect(res.body.error?.message, label).to.equal(`this endpoint requires the ${route.scope} scope`);
    expect(res.body.error?.required_scope, label).to.equal(route.scope);
    expect(String(res.body.error?.docs_url), label).to.equal(`${server.issuer}/docs/errors#insufficient_scope`);
    expect(String(res.body.error?.scope_docs), label).to.equal(`${server.issuer}/docs/scopes#${route.scope}`);
    expect(res.body.error?.missing_scopes, label).to.deep.equal([route.scope]);
  }

  function expectInvalidToken(res: ApiResponse, label: string, message?: RegExp) {
    expect(res.status, label).to.equal(401);
    expect(res.headers.get('www-authenticate'), label).to.match(/^Bearer realm="latchkey", error="invalid_token"/);
    expect(res.body.error?.code, label).to.equal('invalid_token');
    if (message) expect(res.body.error?.message, label).to.match(message);
  }

  before(async () => {
    server = await startServer();
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    const as = await discover(server.issuer);
    const owner = await server.createUser('Account A');
    accountA = owner.accountId;
    const other = await server.createUser('Account B');

    keys.all = await key(accountA, 'test', PARTNER_SCOPES);
    keys.live = await key(accountA, 'live', PARTNER_SCOPES);
    keys.other = await key(other.accountId, 'test', PARTNER_SCOPES);
    keys.revoked = await key(accountA, 'test', PARTNER_SCOPES);
    const revokedRecord = await server.latchkey.store.findApiKeyByHash(pepper.hash(keys.revoked));
    await revokeKey(server.latchkey.store, revokedRecord!, 'test revocation', 'cli');

    const ccAll = await server.createClient({ accountId: accountA, name: 'svc all', type: 'service', scopes: API_SCOPE_NAMES.join(' ') });
    jwts.all = (await clientCredentials(as, ccAll.clientId, ccAll.clientSecret, PARTNER_SCOPES.join(' '))).access_token;

    const web = await server.createClient({ accountId: accountA, name: 'web', type: 'web', scopes: 'read:contacts write:contacts', redirectUris: ['http://localhost:8765/cb'] });
    const flow = await authorizeAndExchange({ as, clientId: web.clientId, clientSecret: web.clientSecret, redirectUri: 'http://localhost:8765/cb' },
      owner, { scope: 'read:contacts write:contacts' });
    jwts.code = flow.tokens.access_token;

    // An expired token, signed with the server's own key: only its expiry is wrong.
    const material = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const es256 = material.jwks.keys.find((k) => k.kty === 'EC')!;
    jwts.expired = withLowS(await new SignJWT({ scope: PARTNER_SCOPES.join(' '), client_id: ccAll.clientId, account_id: accountA, env: 'test' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es256.kid! })
      .setIssuer(server.issuer).setAudience(`${server.issuer}/api`).setSubject(ccAll.clientId).setJti('expired-1')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(await importJWK(es256, 'ES256')));
  });
  after(() => server.stop({ removeData: true }));

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path({ contact: ':id', webhook: ':id' })} (${route.scope})`, () => {
      it('accepts an API key holding the scope, and refuses one without it (403 naming the scope)', async () => {
        expectSuccess(route, await call(server.issuer, route.method, route.path(await freshIds()), keys.all, route.body), 'key with scope');
        const without = await key(accountA, 'test', PARTNER_SCOPES.filter((s) => s !== route.scope));
        expectForbidden(route, await call(server.issuer, route.method, route.path(await freshIds()), without, route.body), 'key without scope');
      });

      it('accepts a client-credentials JWT holding the scope, and refuses one without it', async () => {
        expectSuccess(route, await call(server.issuer, route.method, route.path(await freshIds()), jwts.all, route.body), 'cc JWT');
        const svc = await server.createClient({ accountId: accountA, name: 'svc narrow', type: 'service', scopes: API_SCOPE_NAMES.join(' ') });
        const as = await discover(server.issuer);
        const narrow = PARTNER_SCOPES.filter((s) => s !== route.scope).join(' ');
        const token = (await clientCredentials(as, svc.clientId, svc.clientSecret, narrow)).access_token;
        expectForbidden(route, await call(server.issuer, route.method, route.path(await freshIds()), token, route.body), 'cc JWT without scope');
      });

      it('treats an authorization-code JWT by the scopes the user granted', async () => {
        const res = await call(server.issuer, route.method, route.path(await freshIds()), jwts.code, route.body);
        if (route.scope.endsWith(':contacts')) expectSuccess(route, res, 'code JWT');
        else expectForbidden(route, res, 'code JWT');
      });

      it('answers 401 without a credential, and invalid_token for an expired JWT, a revoked key and garbage', async () => {
        const none = await call(server.issuer, route.method, route.path(await freshIds()), undefined, route.body);
        expect(none.status).to.equal(401);
        expect(none.headers.get('www-authenticate')).to.equal(`Bearer realm="latchkey", resource_metadata="${server.issuer}/.well-known/oauth-protected-resource/api"`);
        expect(none.body.error?.code).to.equal('missing_credential');
        expectInvalidToken(await call(server.issuer, route.method, route.path(await freshIds()), jwts.expired, route.body), 'expired JWT', /expired/);
        expectInvalidToken(await call(server.issuer, route.method, route.path(await freshIds()), keys.revoked, route.body), 'revoked key', /revoked: test revocation/);
        expectInvalidToken(await call(server.issuer, route.method, route.path(await freshIds()), 'sk_test_notARealKey', route.body), 'garbage key', /malformed/);
        expectInvalidToken(await call(server.issuer, route.method, route.path(await freshIds()), 'eyJhbGciOiJub25lIn0.e30.', route.body), 'unsigned JWT');
      });

      if (route.path({ contact: 'x', webhook: 'x' }).includes('x')) {
        it('does not reach another environment\'s or another account\'s object (404)', async () => {
          const liveIds = await freshIds(keys.live);
          const wrongEnv = await call(server.issuer, route.method, route.path(liveIds), keys.all, route.body);
          expect(wrongEnv.status, 'test key, live object').to.equal(404);
          expect(wrongEnv.body.error?.code).to.equal('not_found');
          const wrongAccount = await call(server.issuer, route.method, route.path(await freshIds()), keys.other, route.body);
          expect(wrongAccount.status, 'other account').to.equal(404);
        });
      }
    });
  }

  it('lists only the credential\'s own account and environment', async () => {
    const live = await call(server.issuer, 'POST', '/api/v1/contacts', keys.live, { name: 'Live Only' });
    const other = await call(server.issuer, 'POST', '/api/v1/contacts', keys.other, { name: 'Other Account' });
    const seen = async (credential: string) => {
      const ids: string[] = [];
      let after = '';
      for (;;) {
        const page = await call(server.issuer, 'GET', `/api/v1/contacts?limit=100${after ? `&starting_after=${after}` : ''}`, credential);
        ids.push(...(page.body.data as { id: string }[]).map((c) => c.id));
        if (!page.body.has_more) return ids;
        after = String(page.body.next_starting_after);
      }
    };
    const testIds = await seen(keys.all!);
    expect(testIds).not.to.include(live.body.id).and.not.to.include(other.body.id);
    expect(await seen(keys.live!)).to.include(live.body.id);
    expect(await seen(jwts.all!)).to.deep.equal(testIds);
  });

  describe('rolled keys', () => {
    it('keep working inside the overlap, die after it, and both show their last use', async () => {
      const { store } = server.latchkey;
      const original = await createKey(store, pepper, { accountId: accountA, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
      const rolled = await rollKey(store, pepper, original.record, 1, 'cli');
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', original.key)).status, 'old key inside the overlap').to.equal(200);
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', rolled.key)).status, 'new key').to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await store.findApiKey(original.record.id))?.lastUsedAt, 'old key last use').to.be.instanceOf(Date);
      expect((await store.findApiKey(rolled.record.id))?.lastUsedAt, 'new key last use').to.be.instanceOf(Date);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const dead = await call(server.issuer, 'GET', '/api/v1/contacts', original.key);
      expect(dead.status, 'old key after the overlap').to.equal(401);
      expect(dead.body.error?.message).to.match(/expired/);
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', rolled.key)).status).to.equal(200);
    });

    it('die at once with an overlap of 0', async () => {
      const { store } = server.latchkey;
      const original = await createKey(store, pepper, { accountId: accountA, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
      await rollKey(store, pepper, original.record, 0, 'cli');
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', original.key)).status).to.equal(401);
    });
  });

  describe('Partner API validation', () => {
    it('names the field at fault', async () => {
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'x', email: 'not-an-email' }, 'email'],
        [{ name: 'x', favourite_colour: 'blue' }, 'favourite_colour'],
        [{ name: 42 }, 'name'],
      ];
      for (const [body, field] of cases) {
        const res = await call(server.issuer, 'POST', '/api/v1/contacts', keys.all, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error?.code).to.equal('validation_failed');
        expect(res.body.error?.field).to.equal(field);
        expect(res.body.error?.message).to.include(field);
      }
      const webhook = await call(server.issuer, 'POST', '/api/v1/webhooks', keys.all, { url: 'http://hooks.example/x', events: ['contact.created'] });
      expect(webhook.body.error?.field).to.equal('url');
      const events = await call(server.issuer, 'POST', '/api/v1/webhooks', keys.all, { url: 'https://hooks.example/x', events: ['invoice.paid'] });
      expect(events.body.error?.field).to.equal('events');
    });

    it('refuses bad JSON, a wrong content type, an oversized body and a bad page size', async () => {
      const raw = (body: string, type = 'application/json') => fetch(`${server.issuer}/api/v1/contacts`, {
        method: 'POST', headers: { authorization: `Bearer ${keys.all}`, 'content-type': type }, body,
      });
      expect((await raw('{"name":')).status).to.equal(400);
      expect((await raw('[1,2]')).status).to.equal(400);
      expect((await raw('name=x', 'application/x-www-form-urlencoded')).status).to.equal(415);
      expect((await raw(JSON.stringify({ name: 'x'.repeat(100_000) }))).status).to.equal(413);
      const page = await call(server.issuer, 'GET', '/api/v1/contacts?limit=1000', keys.all);
      expect(page.status).to.equal(400);
      expect(page.body.error?.field).to.equal('limit');
    });

    it('pages through contacts and records events', async () => {
      const fresh = await key((await server.createUser('Paging Co')).accountId, 'test', PARTNER_SCOPES);
      for (let i = 0; i < 5; i += 1) await call(server.issuer, 'POST', '/api/v1/contacts', fresh, { name: `Contact ${i}` });
      const first = await call(server.issuer, 'GET', '/api/v1/contacts?limit=2', fresh);
      expect((first.body.data as unknown[]).length).to.equal(2);
      expect(first.body.has_more).to.equal(true);
      const rest = await call(server.issuer, 'GET', `/api/v1/contacts?limit=10&starting_after=${String(first.body.next_starting_after)}`, fresh);
      expect((rest.body.data as { name: string }[]).map((c) => c.name)).to.deep.equal(['Contact 2', 'Contact 3', 'Contact 4']);
      expect(rest.body.has_more).to.equal(false);
      const events = await call(server.issuer, 'GET', '/api/v1/events?limit=100', fresh);
      expect((events.body.data as { type: string }[]).filter((e) => e.type === 'contact.created')).to.have.length(5);
    });

    it('answers unknown paths and methods in our error body', async () => {
      const missing = await call(server.issuer, 'GET', '/api/v1/nothing', keys.all);
      expect(missing.status).to.equal(404);
      expect(missing.body.error?.code).to.equal('not_found');
      const method = await call(server.issuer, 'PUT', '/api/v1/contacts', keys.all, {});
      expect(method.status).to.equal(405);
    });

    it('refuses a malformed Authorization header', async () => {
      const res = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
    });
  });

  it('rejects a JWT minted for another audience', async () => {
    const material = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const es256 = material.jwks.keys.find((k) => k.kty === 'EC')!;
    const token = withLowS(await new SignJWT({ scope: 'read:contacts', client_id: 'c', account_id: accountA, env: 'test' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es256.kid! })
      .setIssuer(server.issuer).setAudience('https://elsewhere.example').setSubject('c').setJti('aud-1')
      .setIssuedAt().setExpirationTime('5m').sign(await importJWK(es256, 'ES256')));
    const res = await call(server.issuer, 'GET', '/api/v1/contacts', token);
    expect(res.status).to.equal(401);
  });
});
