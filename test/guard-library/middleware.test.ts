// The guard library in Koa and in Express: access tokens from a real Latchkey (its JWKS), API keys
// through a fake introspection endpoint; the same answers as the built-in Partner API's guard.
import { expect } from 'chai';
import { SignJWT, importJWK } from 'jose';
import { RESOURCE_SERVER_LIFETIMES } from '../../config/lifetimes.ts';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { createGuard } from '../../packages/guard/index.ts';
import { generateApiKey } from '../../server/http/api-key-format.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call, type ApiResponse } from '../helpers/api.ts';
import { withLowS } from '../helpers/ecdsa.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { expressApp, fakeIntrospection, koaApp, RS_CLIENT, type App, type FakeIntrospection } from './fixtures.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the guard library (packages/guard)', () => {
  let latchkey: TestServer;
  let fake: FakeIntrospection;
  let accountId: string;
  let clientId: string;
  /** read:contacts only, for the Partner API resource. */
  let token: string;

  function newKey(scope: string, active = true): string {
    const key = generateApiKey('test');
    recordSecret(key);
    if (active) fake.answers.set(key, { active: true, token_type: 'api_key', scope, account_id: accountId, env: 'test', key_id: `key_${key.slice(-6)}`, iat: 1 });
    return key;
  }

  before(async () => {
    latchkey = await startServer();
    fake = await fakeIntrospection();
    const client = await latchkey.createClient({ name: 'svc', type: 'service', scopes: API_SCOPE_NAMES.join(' ') });
    ({ accountId, clientId } = client);
    token = (await clientCredentials(await discover(latchkey.issuer), client.clientId, client.clientSecret, 'read:contacts')).access_token;
  });
  after(async () => {
    await fake.close();
    await latchkey.stop({ removeData: true });
  });

  function options(overrides: Record<string, unknown> = {}) {
    return {
      issuer: latchkey.issuer, resource: `${latchkey.issuer}/api`, cacheSeconds: 1,
      introspection: { ...RS_CLIENT, endpoint: fake.url }, ...overrides,
    };
  }

  it('refuses options it cannot work with, naming the option', () => {
    expect(() => createGuard(options({ cacheSeconds: 10_000 }))).to.throw(/cacheSeconds/);
    expect(() => createGuard(options({ issuer: 'not a url' }))).to.throw(/issuer/);
    expect(() => createGuard(options({ introspection: { clientId: 'x' } }))).to.throw(/clientSecret/);
  });

  for (const [framework, start] of [['Koa', koaApp], ['Express', expressApp]] as const) {
    describe(framework, () => {
      let app: App;
      before(async () => { app = await start(options()); });
      after(() => app.close());

      function expectInvalidToken(res: ApiResponse, description: RegExp) {
        expect(res.status).to.equal(401);
        expect(res.headers.get('www-authenticate')).to.match(/^Bearer realm="latchkey", error="invalid_token", error_description="/);
        expect(res.headers.get('www-authenticate')).to.match(description);
        expect(res.body.error?.code).to.equal('invalid_token');
        expect(res.body.error?.docs_url).to.equal(`${latchkey.issuer}/docs/errors#invalid_token`);
      }

      it('answers 401 with a bare challenge when no credential is sent, as the built-in guard does', async () => {
        const res = await call(app.url, 'GET', '/things');
        const builtIn = await call(latchkey.issuer, 'GET', '/api/v1/contacts');
        expect(res.status).to.equal(401);
        expect(res.headers.get('www-authenticate')).to.equal(`Bearer realm="latchkey", resource_metadata="${latchkey.issuer}/.well-known/oauth-protected-resource/api"`);
        expect(res.headers.get('cache-control')).to.equal('no-store');
        expect(res.body).to.deep.equal(builtIn.body);
        expect(res.headers.get('www-authenticate')).to.equal(builtIn.headers.get('www-authenticate'));
      });

      it('answers 401 invalid_token for a bad token, a malformed header and a key with a wrong checksum', async () => {
        expectInvalidToken(await call(app.url, 'GET', '/things', 'not.a.jwt'), /the access token is invalid/);
        const basic = await fetch(`${app.url}/things`, { headers: { authorization: 'Basic YTpi' } });
        expect(basic.status).to.equal(401);
        expect(basic.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
        const key = newKey('read:contacts');
        const broken = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
        expectInvalidToken(await call(app.url, 'GET', '/things', broken), /malformed/);
        expect(fake.calls.get(broken), 'a malformed key is never introspected').to.equal(undefined);
      });

      it('accepts an access token for its resource, with the principal from its claims', async () => {
        const res = await call(app.url, 'GET', '/things', token);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.deep.include({ accountId, environment: 'test', scopes: ['read:contacts'] });
        expect(res.body.credential).to.include({ kind: 'access_token', clientId, subject: clientId });
        expect(res.body.credential).to.have.property('id').that.is.a('string').and.not.empty;
      });

      it('answers 403 naming the missing scope, exactly as the built-in guard does', async () => {
        const res = await call(app.url, 'POST', '/things', token, {});
        const builtIn = await call(latchkey.issuer, 'POST', '/api/v1/contacts', token, { name: 'x' });
        expect(res.status).to.equal(403);
        expect(res.headers.get('www-authenticate')).to.equal(
          'Bearer realm="latchkey", error="insufficient_scope", scope="write:contacts", error_description="this endpoint requires the write:contacts scope", '
          + `resource_metadata="${latchkey.issuer}/.well-known/oauth-protected-resource/api"`,
        );
        expect(res.headers.get('www-authenticate')).to.equal(builtIn.headers.get('www-authenticate'));
        expect(res.body).to.deep.equal(builtIn.body);
        expect(res.body.error?.required_scope).to.equal('write:contacts');
      });

      it('accepts an active API key with the principal from introspection, and refuses an inactive one', async () => {
        const key = newKey('read:contacts write:contacts');
        const res = await call(app.url, 'GET', '/things', key);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.deep.equal({
          accountId, environment: 'test', scopes: ['read:contacts', 'write:contacts'], credential: { kind: 'api_key', id: `key_${key.slice(-6)}` },
        });
        expect((await call(app.url, 'POST', '/things', key, {})).status).to.equal(201);
        expectInvalidToken(await call(app.url, 'GET', '/things', newKey('read:contacts', false)), /not active/);
      });

      it('a key introspected as something other than an API key is refused', async () => {
        const key = newKey('read:contacts');
        fake.answers.set(key, { ...fake.answers.get(key), token_type: 'Bearer' });
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(401);
      });

      it('reuses an active answer for cacheSeconds and no longer: a revocation arrives within the bound', async () => {
        const key = newKey('read:contacts');
        const first = Date.now();
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(200);
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(200);
        expect(fake.calls.get(key)).to.equal(1);
        fake.answers.delete(key); // revoked at Latchkey
        const cached = await call(app.url, 'GET', '/things', key);
        if (Date.now() - first < 900) expect(cached.status, 'still inside the bound').to.equal(200);
        await sleep(Math.max(0, first + 1_100 - Date.now()));
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(401);
        expect(fake.calls.get(key)).to.equal(2);
      });

      it('reuses an inactive answer for at most a second', async () => {
        const key = newKey('read:contacts', false);
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(401);
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(401);
        expect(fake.calls.get(key)).to.equal(1);
        await sleep(1_100);
        expect((await call(app.url, 'GET', '/things', key)).status).to.equal(401);
        expect(fake.calls.get(key)).to.equal(2);
      });

      it('asks once for concurrent requests with one key', async () => {
        const key = newKey('read:contacts');
        const answers = await Promise.all([1, 2, 3, 4, 5].map(() => call(app.url, 'GET', '/things', key)));
        expect(answers.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
        expect(fake.calls.get(key)).to.equal(1);
      });

      it('a route naming a scope the API does not declare fails loudly (500), not as a 403', async () => {
        const strict = await start(options({ scopes: ['read:contacts', 'write:contacts'] }));
        try {
          expect((await call(strict.url, 'GET', '/things', token)).status).to.equal(200);
          expect((await fetch(`${strict.url}/typo`, { headers: { authorization: `Bearer ${token}` } })).status).to.equal(500);
        } finally {
          await strict.close();
        }
      });
    });
  }

  describe('the access-token checks', () => {
    let app: App;
    let sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
    before(async () => {
      app = await koaApp(options());
      const { jwks } = await loadKeyMaterial(latchkey.latchkey.settings, latchkey.latchkey.store, silentLogger);
      const es256 = jwks.keys.find((k) => k.kty === 'EC')!;
      const key = await importJWK(es256, 'ES256');
      sign = async (claims, header = {}) => {
        const now = Math.floor(Date.now() / 1000);
        return withLowS(await new SignJWT({ scope: 'read:contacts', client_id: clientId, account_id: accountId, env: 'test', iat: now - 60, exp: now + 60, ...claims })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es256.kid!, ...header })
          .setIssuer(latchkey.issuer).setAudience(`${latchkey.issuer}/api`).setSubject(clientId).setJti(`t-${now}-${Math.random()}`)
          .sign(key));
      };
    });
    after(() => app.close());

    it('accepts a token signed with the issuer\'s key (the control for the cases below)', async () => {
      expect((await call(app.url, 'GET', '/things', await sign({}))).status).to.equal(200);
    });

    it('refuses a token whose typ is not at+jwt (an ID token, say)', async () => {
      expect((await call(app.url, 'GET', '/things', await sign({}, { typ: 'JWT' }))).status).to.equal(401);
    });

    it('tolerates a few seconds of clock skew on exp and nbf, and no more', async () => {
      const now = Math.floor(Date.now() / 1000);
      const skew = RESOURCE_SERVER_LIFETIMES.accessTokenClockSkew;
      expect((await call(app.url, 'GET', '/things', await sign({ exp: now - 2 }))).status, 'just expired').to.equal(200);
      expect((await call(app.url, 'GET', '/things', await sign({ exp: now - skew - 2 }))).status, 'expired').to.equal(401);
      expect((await call(app.url, 'GET', '/things', await sign({ nbf: now + 2 }))).status, 'almost valid').to.equal(200);
      expect((await call(app.url, 'GET', '/things', await sign({ nbf: now + skew + 5 }))).status, 'not yet valid').to.equal(401);
    });

    it('refuses an RS256 token signed with the issuer\'s ID-token key, an exp years out, and an iat ahead', async () => {
      const { jwks } = await loadKeyMaterial(latchkey.latchkey.settings, latchkey.latchkey.store, silentLogger);
      const rsa = jwks.keys.find((k) => k.kty === 'RSA')!;
      const now = Math.floor(Date.now() / 1000);
      const rs256 = await new SignJWT({ scope: 'read:contacts', client_id: clientId, account_id: accountId, env: 'test', iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid! }).setIssuer(latchkey.issuer).setAudience(`${latchkey.issuer}/api`)
        .setSubject(clientId).setJti('rs-1').sign(await importJWK(rsa, 'RS256'));
      expect((await call(app.url, 'GET', '/things', rs256)).status, 'RS256').to.equal(401);
      const decade = 10 * 365 * 24 * 3600;
      expect((await call(app.url, 'GET', '/things', await sign({ iat: now, exp: now + decade }))).status, 'an exp ten years out').to.equal(401);
      expect((await call(app.url, 'GET', '/things', await sign({ iat: now + 365 * 24 * 3600, exp: now + 365 * 24 * 3600 + 60 }))).status, 'an iat a year ahead').to.equal(401);
      expect((await call(app.url, 'GET', '/things', await sign({ iat: now, exp: now + 900 }))).status, 'the control: 15 minutes').to.equal(200);
    });

    it('refuses a token without an account, or with an alg outside the allow-list', async () => {
      expect((await call(app.url, 'GET', '/things', await sign({ account_id: undefined }))).status).to.equal(401);
      const hs = await new SignJWT({ scope: 'read:contacts', client_id: clientId, account_id: accountId, env: 'test' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(latchkey.issuer).setAudience(`${latchkey.issuer}/api`)
        .setSubject(clientId).setJti('hs-1').setExpirationTime('1m').sign(new TextEncoder().encode('x'.repeat(32)));
      expect((await call(app.url, 'GET', '/things', hs)).status).to.equal(401);
    });
  });

  for (const [framework, start] of [['Koa', koaApp], ['Express', expressApp]] as const) {
    describe(`${framework}, misconfigured or cut off`, () => {
      it('refuses a token for another resource (wrong audience), saying so', async () => {
        const app = await start(options({ resource: 'https://orders.example.com' }));
        try {
          const res = await call(app.url, 'GET', '/things', token);
          expect(res.status).to.equal(401);
          expect(res.headers.get('www-authenticate')).to.match(/error="invalid_token", error_description="the access token is for another resource \(aud\)"/);
        } finally {
          await app.close();
        }
      });

      it('refuses a token from another issuer', async () => {
        const app = await start(options({ issuer: 'http://127.0.0.1:9/elsewhere', jwksUri: `${latchkey.issuer}/jwks` }));
        try {
          expect((await call(app.url, 'GET', '/things', token)).status).to.equal(401);
        } finally {
          await app.close();
        }
      });

      it('answers 503 with Retry-After, not 401, when its own introspection credential is refused', async () => {
        const errors: Error[] = [];
        const app = await start(options({ introspection: { clientId: RS_CLIENT.clientId, clientSecret: 'wrong', endpoint: fake.url }, onError: (e: Error) => errors.push(e) }));
        try {
          const res = await call(app.url, 'GET', '/things', newKey('read:contacts'));
          expect(res.status).to.equal(503);
          expect(res.headers.get('retry-after')).to.equal('5');
          expect(res.body.error?.code).to.equal('store_unavailable');
          expect(errors.map((e) => e.message)).to.deep.equal(['introspection answered 401']);
        } finally {
          await app.close();
        }
      });
    });
  }
});
