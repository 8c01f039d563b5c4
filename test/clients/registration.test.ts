// Dynamic client registration (RFC 7591; issue 24, item 3) under LATCHKEY_REGISTRATION: off refuses
// it; token needs an account's initial access token and registers a verified client of that account;
// open registers anyone as an unverified client that holds self-serve scopes only. Registered clients
// are public or private_key_jwt: no secret is ever made. Latchkey's own metadata is never taken from
// a request, and each bad registration gets the RFC 7591 error naming the field.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { LIMITS } from '../../config/limits.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { removeUnusedRegistrations } from '../../server/clients/unused-registrations.ts';
import { createInitialAccessToken } from '../../server/oidc/initial-access-tokens.ts';
import { REGISTERED_OPENLY, REGISTERED_WITH_TOKEN } from '../../config/registration.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';

const REDIRECT = 'http://127.0.0.1/callback';
const register = (server: TestServer, body: Record<string, unknown>, token?: string) => fetch(`${server.issuer}/reg`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
});
const publicClient = (extra: Record<string, unknown> = {}) => ({
  client_name: 'Agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...extra,
});

describe('dynamic client registration', function () {
  this.timeout(20_000);

  describe('LATCHKEY_REGISTRATION=off (the default)', () => {
    let server: TestServer;
    before(async () => { server = await startServer(); });
    after(() => server?.stop({ removeData: true }));

    it('has no registration endpoint', async () => {
      expect((await discover(server.issuer)).registration_endpoint).to.equal(undefined);
      expect((await register(server, publicClient())).status).to.equal(404);
    });
  });

  describe('LATCHKEY_REGISTRATION=token', () => {
    let server: TestServer;
    before(async () => { server = await startServer({ env: { LATCHKEY_REGISTRATION: 'token' } }); });
    after(() => server?.stop({ removeData: true }));

    it('keeps no initial access token in plaintext', async () => {
      const owner = await server.createUser('Stored Tokens Co');
      const { token } = await createInitialAccessToken(server.latchkey.store, owner.accountId, 'test', 'operator');
      expect(await storeContents(server)).to.not.include(token);
      expect((await register(server, publicClient(), token)).status, 'and it still registers').to.equal(201);
    });

    it('refuses a registration without an initial access token, or with a made-up one', async () => {
      const none = await register(server, publicClient());
      expect(none.status).to.equal(401);
      expect(((await none.json()) as { error: string }).error).to.equal('invalid_token');
      expect((await register(server, publicClient(), 'not-a-token')).status).to.equal(401);
    });

    it('registers a verified client of the token\'s account, in its environment, with the scopes asked for', async () => {
      const owner = await server.createUser('Registering Co');
      const { token } = await createInitialAccessToken(server.latchkey.store, owner.accountId, 'test', 'operator');
      const answer = await register(server, publicClient({ scope: 'read:contacts write:contacts' }), token);
      expect(answer.status).to.equal(201);
      const body = await answer.json() as Record<string, unknown>;
      expect(body.client_id).to.match(/^client_test_/);
      expect(body).to.not.have.any.keys('client_secret', 'registration_access_token');
      expect(Object.keys(body).filter((k) => k.startsWith('urn:latchkey:'))).to.deep.equal([]);
      expect(body.scope).to.equal('read:contacts write:contacts');
      const stored = (await server.latchkey.store.findClient(String(body.client_id)))!;
      expect(stored).to.include({ accountId: owner.accountId, environment: 'test', type: 'public', authMethod: 'none', createdBy: REGISTERED_WITH_TOKEN });
    });
  });

  describe('LATCHKEY_REGISTRATION=open', () => {
    let server: TestServer;
    before(async () => { server = await startServer({ env: { LATCHKEY_REGISTRATION: 'open' } }); });
    after(() => server?.stop({ removeData: true }));

    it('lists the registration endpoint in discovery, and registers an unverified client with self-serve scopes only', async () => {
      expect((await discover(server.issuer)).registration_endpoint).to.equal(`${server.issuer}/reg`);
      const answer = await register(server, publicClient({ scope: 'read:contacts write:contacts read:billing offline_access' }));
      expect(answer.status).to.equal(201);
      const body = await answer.json() as Record<string, unknown>;
      expect(body.scope, 'replaced by what an unverified client may hold (RFC 7591 3.2.1)').to.equal('read:contacts offline_access');
      expect(body).to.include({ token_endpoint_auth_method: 'none', application_type: 'native' });
      const stored = (await server.latchkey.store.findClient(String(body.client_id)))!;
      expect(stored).to.include({ environment: 'live', accountId: 'acct_operator', createdBy: REGISTERED_OPENLY });
    });

    it('deletes an open registration no user authorized a day after it registered, and keeps one that was used', async () => {
      const unused = await (await register(server, publicClient({ client_name: 'Abandoned' }))).json() as { client_id: string };
      const used = await (await register(server, publicClient({ client_name: 'Used', scope: 'read:contacts' }))).json() as { client_id: string };
      const app: WebApp = { as: await discover(server.issuer), clientId: used.client_id, clientSecret: '', redirectUri: 'http://127.0.0.1:41235/callback' };
      const user = await server.createUser('Keeps It Co');
      const { url } = await startAuthorization(app, 'read:contacts');
      const browser = new Browser();
      const login = pageOf(await browser.navigate(url.href, app.redirectUri));
      const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, app.redirectUri));
      expect(await browser.submit(Browser.forms(consent)[0]!, {}, app.redirectUri)).to.be.instanceOf(URL);

      expect(await removeUnusedRegistrations(server.latchkey.store, new Date()), 'nothing is a day old yet').to.equal(0);
      const tomorrow = new Date(Date.now() + (LIFETIMES.unusedRegistration + 60) * 1000);
      expect(await removeUnusedRegistrations(server.latchkey.store, tomorrow)).to.be.at.least(1);
      expect(await server.latchkey.store.findClient(unused.client_id)).to.equal(undefined);
      expect(await server.latchkey.store.findClient(used.client_id), 'authorized by a user: kept').to.not.equal(undefined);
    });

    it('the registered client signs a user in with PKCE, and asking for more than self-serve is invalid_scope naming it', async () => {
      const created = await (await register(server, publicClient({ scope: 'read:contacts offline_access' }))).json() as { client_id: string };
      const app: WebApp = { as: await discover(server.issuer), clientId: created.client_id, clientSecret: '', redirectUri: 'http://127.0.0.1:41234/callback' };
      const greedy = await startAuthorization(app, 'read:contacts write:contacts');
      const refused = await new Browser().navigate(greedy.url.href, app.redirectUri);
      expect(refused).to.be.instanceOf(URL);
      expect((refused as URL).searchParams.get('error')).to.equal('invalid_scope');
      expect((refused as URL).searchParams.get('error_description')).to.include('write:contacts');

      const user = await server.createUser('Agent User Co');
      const { url, verifier, state } = await startAuthorization(app, 'read:contacts');
      const browser = new Browser();
      const login = pageOf(await browser.navigate(url.href, app.redirectUri));
      const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, app.redirectUri));
      expect(consent.html, 'the consent page says who vouched for it: nobody').to.include('Unverified app')
        .and.include('calling itself “<span class="app-name">Agent</span>”').and.include('<strong class="app-origin">127.0.0.1</strong>').and.not.include('<img');
      const callback = await browser.submit(Browser.forms(consent)[0]!, {}, app.redirectUri) as URL;
      const client = { client_id: created.client_id, token_endpoint_auth_method: 'none' };
      const params = oauth.validateAuthResponse(app.as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(app.as, client,
        await oauth.authorizationCodeGrantRequest(app.as, client, oauth.None(), params, app.redirectUri, verifier, insecure));
      const contacts = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(contacts.status).to.equal(200);
    });

    it('limits open registrations per address: then 429 temporarily_unavailable with Retry-After', async () => {
      const answers: number[] = [];
      for (let n = 0; n < LIMITS.openRegistrationsPerAddress + 1; n += 1) answers.push((await register(server, publicClient({ client_name: `Burst ${n}` }))).status);
      // Earlier tests of this block registered too (it runs last): the address's budget ends within this burst.
      const refused = await register(server, publicClient());
      expect(answers.filter((s) => s === 201).length).to.be.at.most(LIMITS.openRegistrationsPerAddress);
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(((await refused.json()) as { error: string }).error).to.equal('temporarily_unavailable');
    });
  });

  // Its own server: refused registrations count against the address's hourly limit too.
  describe('LATCHKEY_REGISTRATION=open: bad registrations', () => {
    let server: TestServer;
    before(async () => { server = await startServer({ env: { LATCHKEY_REGISTRATION: 'open' } }); });
    after(() => server?.stop({ removeData: true }));

    it('gets the RFC 7591 error naming the field for each bad registration', async () => {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [publicClient({ token_endpoint_auth_method: 'client_secret_basic' }), 'invalid_client_metadata', /token_endpoint_auth_method/],
        [{ client_name: 'No method', redirect_uris: [REDIRECT] }, 'invalid_client_metadata', /token_endpoint_auth_method/],
        [publicClient({ 'urn:latchkey:account_id': 'acct_someone' }), 'invalid_client_metadata', /urn:latchkey:account_id/],
        [publicClient({ 'urn:latchkey:allowed_scopes': 'write:api_keys' }), 'invalid_client_metadata', /urn:latchkey:allowed_scopes/],
        [publicClient({ scope: 'read:contacts read:everything' }), 'invalid_client_metadata', /scope: unknown scope read:everything/],
        [publicClient({ redirect_uris: ['http://example.com/callback'] }), 'invalid_redirect_uri', /redirect_uris/],
        [{ client_name: 'Keys', redirect_uris: ['http://example.com/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://example.com/jwks' }, 'invalid_client_metadata', /jwks_uri/],
      ];
      for (const [body, error, description] of cases) {
        const answer = await register(server, body);
        const json = await answer.json() as { error: string; error_description: string };
        expect(answer.status, JSON.stringify(body)).to.equal(400);
        expect(json.error, JSON.stringify(body)).to.equal(error);
        expect(json.error_description, JSON.stringify(body)).to.match(description);
      }
    });
  });
});
