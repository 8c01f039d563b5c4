import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { Browser, errorMessage, pageOf } from '../../packages/form-browser/browser.ts';
import {
  authorize, authorizeAndExchange, client, introspect, isPage, refresh, startAuthorization, type WebApp,
} from '../helpers/flows.ts';
import { discover, expectOAuthError, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('authorization code + PKCE (marketplace apps)', () => {
  let server: TestServer;
  let app: WebApp;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  const redirectUri = 'http://localhost:8765/callback';

  before(async () => {
    server = await startServer();
    const as = await discover(server.issuer);
    const created = await server.createClient({
      name: 'Acme CRM Sync', type: 'web', scopes: 'openid offline_access read:contacts write:contacts read:events',
      redirectUris: [redirectUri],
    });
    app = { as, clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    user = await server.createUser('Customer Ltd');
  });
  after(() => server.stop({ removeData: true }));

  it('signs in, shows each scope in plain words, and issues JWT + refresh token', async () => {
    const { tokens, sawConsent } = await authorizeAndExchange(app, user, { scope: 'openid offline_access read:contacts' });
    expect(sawConsent, 'consent page').to.not.equal(undefined);
    expect(sawConsent!.html).to.include('Acme CRM Sync');
    expect(sawConsent!.html).to.include('See your contacts');
    expect(sawConsent!.html).to.include('Keep access when you are not using the app');
    expect(sawConsent!.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
    expect(sawConsent!.headers.get('cache-control')).to.equal('no-store');

    expect(tokens.refresh_token, 'refresh token').to.be.a('string');
    expect(tokens.id_token, 'id token').to.be.a('string');
    expect(tokens.expires_in).to.equal(LIFETIMES.accessToken);
    const claims = await verifyAccessToken(app.as, tokens.access_token);
    expect(claims.sub).to.equal(user.userId);
    expect(claims.scope).to.equal('read:contacts');
    expect(claims.account_id).to.equal(user.accountId);
    expect(claims.env).to.equal('test');
    expect(claims.client_id).to.equal(app.clientId);
  });

  it('issues a refresh token without prompt=consent, and with prompt=login once offline_access was granted', async () => {
    const fresh = await server.createUser('Second Customer');
    const first = await authorizeAndExchange(app, fresh, { scope: 'offline_access read:contacts' });
    expect(first.tokens.refresh_token).to.be.a('string');
    const again = await authorizeAndExchange(app, fresh, {
      scope: 'offline_access read:contacts', extra: { prompt: 'login' }, browser: first.browser,
    });
    expect(again.sawConsent, 'consent is remembered').to.equal(undefined);
    expect(again.tokens.refresh_token).to.be.a('string');
  });

  it('remembers consent: the same scopes skip the page, new scopes show only themselves', async () => {
    const customer = await server.createUser('Remembering Co');
    const first = await authorize(app, customer, { scope: 'read:contacts' });
    expect(first.sawConsent).to.not.equal(undefined);

    // A new browser session: sign in again, but consent is not asked again.
    const second = await authorize(app, customer, { scope: 'read:contacts' });
    expect(second.sawConsent, 'no consent page for granted scopes').to.equal(undefined);

    const third = await authorize(app, customer, { scope: 'read:contacts write:contacts', browser: second.browser });
    expect(third.sawConsent).to.not.equal(undefined);
    const scopeList = /<ul class="scopes">([\s\S]*?)<\/ul>/.exec(third.sawConsent!.html)![1]!;
    expect(scopeList).to.include('write:contacts');
    expect(scopeList).not.to.include('read:contacts');
  });

  it('returns access_denied to the client when the user denies consent', async () => {
    const customer = await server.createUser('Denying Co');
    const { callback, state } = await authorize(app, customer, { scope: 'read:contacts', consent: 'deny' });
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.get('state')).to.equal(state);
    expect(() => oauth.validateAuthResponse(app.as, { client_id: app.clientId }, callback, state)).to.throw();
  });

  /** A new browser on the login page of a fresh authorization request. */
  async function openLoginForm() {
    const browser = new Browser();
    const { url } = await startAuthorization(app, 'read:contacts');
    const [form] = Browser.forms(pageOf(await browser.navigate(url.href, redirectUri)));
    return { browser, form };
  }

  it('gives one message for a wrong password and an unknown email', async () => {
    const { browser, form } = await openLoginForm();
    const wrong = await browser.submit(form!, { email: user.email, password: 'not the password' }, redirectUri);
    const unknown = await browser.submit(form!, { email: 'nobody@example.com', password: 'not the password' }, redirectUri);
    if (!isPage(wrong) || !isPage(unknown)) throw new Error('expected the login page again');
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(errorMessage(wrong)).to.equal('Email or password is incorrect.');
    expect(errorMessage(unknown)).to.equal(errorMessage(wrong));
  });

  it('refuses a login form without its CSRF token', async () => {
    const { browser, form } = await openLoginForm();
    const result = await browser.submit(form!, { _csrf: 'forged', email: user.email, password: user.password }, redirectUri);
    if (!isPage(result)) throw new Error('a forged form must not complete the flow');
    expect(result.status).to.equal(403);
  });

  it('rejects a wrong PKCE verifier', async () => {
    const customer = await server.createUser('PKCE Co');
    const { callback, state } = await authorize(app, customer, { scope: 'read:contacts' });
    const { client: c, auth } = client(app);
    const params = oauth.validateAuthResponse(app.as, c, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, oauth.generateRandomCodeVerifier(), insecure);
    const err = await expectOAuthError(() => oauth.processAuthorizationCodeResponse(app.as, c, response));
    expect(err.error).to.equal('invalid_grant');
  });

  it('requires PKCE', async () => {
    const url = new URL(app.as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: app.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'read:contacts', state: 's' }).toString();
    const result = await new Browser().navigate(url.href, redirectUri);
    expect(result).to.be.instanceOf(URL);
    const callback = result as URL;
    expect(callback.searchParams.get('error')).to.equal('invalid_request');
    expect(callback.searchParams.get('error_description')).to.match(/PKCE/);
  });

  it('refuses a redirect URI that is not registered, without redirecting to it', async () => {
    const { url } = await startAuthorization(app, 'read:contacts', { redirect_uri: 'http://localhost:8765/callback/evil' });
    const page = await new Browser().navigate(url.href, 'http://localhost:8765/');
    if (!isPage(page)) throw new Error('must not redirect to an unregistered URI');
    expect(page.status).to.equal(400);
    expect(page.html).to.include('redirect_uri');
  });

  it('refuses a code redeemed with another redirect URI', async () => {
    const customer = await server.createUser('Redirect Co');
    const { callback, state, verifier } = await authorize(app, customer, { scope: 'read:contacts' });
    const { client: c, auth } = client(app);
    const params = oauth.validateAuthResponse(app.as, c, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, 'http://localhost:8765/other', verifier, insecure);
    const err = await expectOAuthError(() => oauth.processAuthorizationCodeResponse(app.as, c, response));
    expect(err.error).to.equal('invalid_grant');
  });

  it('names a disallowed and an unknown scope at the authorization endpoint', async () => {
    for (const [scope, named] of [['read:contacts read:billing', 'read:billing'], ['read:contacts delete:everything', 'delete:everything']] as const) {
      const { url, state } = await startAuthorization(app, scope);
      const result = await new Browser().navigate(url.href, redirectUri);
      expect(result).to.be.instanceOf(URL);
      const callback = result as URL;
      expect(callback.searchParams.get('error')).to.equal('invalid_scope');
      expect(callback.searchParams.get('error_description')).to.include(named);
      expect(callback.searchParams.get('state')).to.equal(state);
    }
  });

  it('lets a code be redeemed once only', async () => {
    const customer = await server.createUser('Replay Co');
    const { callback, state, verifier } = await authorize(app, customer, { scope: 'offline_access read:contacts' });
    const { client: c, auth } = client(app);
    const params = oauth.validateAuthResponse(app.as, c, callback, state);
    const first = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c, first);
    const second = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure);
    const err = await expectOAuthError(() => oauth.processAuthorizationCodeResponse(app.as, c, second));
    expect(err.error).to.equal('invalid_grant');
    // The replay revoked what the code had produced.
    expect((await introspect(app, tokens.refresh_token!)).active).to.equal(false);
  });

  it('works through a pushed authorization request (RFC 9126)', async () => {
    const customer = await server.createUser('PAR Co');
    const verifier = oauth.generateRandomCodeVerifier();
    const { client: c, auth } = client(app);
    const parResponse = await oauth.pushedAuthorizationRequest(app.as, c, auth, {
      redirect_uri: redirectUri, response_type: 'code', scope: 'read:contacts', state: 'par-state',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, insecure);
    const par = await oauth.processPushedAuthorizationResponse(app.as, c, parResponse);
    const url = new URL(app.as.authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: app.clientId, request_uri: par.request_uri }).toString();
    const browser = new Browser();
    let step = await browser.navigate(url.href, redirectUri);
    if (!isPage(step)) throw new Error('expected the login page');
    step = await browser.submit(Browser.forms(step)[0]!, { email: customer.email, password: customer.password }, redirectUri);
    if (!isPage(step)) throw new Error('expected the consent page');
    step = await browser.submit(Browser.forms(step)[0]!, {}, redirectUri);
    expect(step).to.be.instanceOf(URL);
    const params = oauth.validateAuthResponse(app.as, c, step as URL, 'par-state');
    const response = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c, response);
    expect((await verifyAccessToken(app.as, tokens.access_token)).scope).to.equal('read:contacts');
  });

  describe('refresh tokens', () => {
    it('rotate on every use, keeping scope and claims', async () => {
      const customer = await server.createUser('Rotation Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts read:events' });
      const next = await refresh(app, tokens.refresh_token!);
      expect(next.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
      const claims = await verifyAccessToken(app.as, next.access_token);
      expect(String(claims.scope).split(' ').sort()).to.deep.equal(['read:contacts', 'read:events']);
      expect(claims.account_id).to.equal(customer.accountId);
      expect((await introspect(app, tokens.refresh_token!)).active, 'the spent token').to.equal(false);
      expect((await introspect(app, next.refresh_token!)).active, 'the new token').to.equal(true);
    });

    it('revoke the whole grant when a spent token is presented again after its successor was used, and say so', async () => {
      const customer = await server.createUser('Theft Co');
      const { tokens, browser } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
      const rotated = await refresh(app, tokens.refresh_token!);
      const newer = await refresh(app, rotated.refresh_token!);

      const err = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
      expect(err.error).to.equal('invalid_grant');
      expect(err.error_description).to.match(/already used/).and.match(/grant has been revoked/);

      const newest = await expectOAuthError(() => refresh(app, newer.refresh_token!));
      expect(newest.error).to.equal('invalid_grant');
      expect((await introspect(app, newer.refresh_token!)).active).to.equal(false);

      // The grant behind the access tokens is gone: the same browser must consent again.
      const { url } = await startAuthorization(app, 'offline_access read:contacts', { prompt: 'none' });
      const silent = await browser.navigate(url.href, redirectUri);
      expect(silent).to.be.instanceOf(URL);
      expect((silent as URL).searchParams.get('error')).to.equal('consent_required');
    });

    it('coalesce two concurrent refreshes with one token into one answer (20 runs)', async () => {
      const customer = await server.createUser('Race Co');
      // The embedded store answers without yielding, so two requests would never overlap here.
      // Give reads the latency of a networked store so both requests pass oidc-provider's
      // "already consumed?" check before either consumes: only the store's atomic consume decides.
      const { oidc } = server.latchkey.store;
      const find = oidc.find.bind(oidc);
      oidc.find = async (model, id) => {
        const found = await find(model, id);
        if (model === 'RefreshToken') await new Promise((resolve) => setTimeout(resolve, 20));
        return found;
      };
      try {
        const coalesced = server.latchkey.refreshStats.racesCoalesced;
        for (let run = 0; run < 20; run += 1) {
          const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
          const [one, two] = await Promise.all([refresh(app, tokens.refresh_token!), refresh(app, tokens.refresh_token!)]);
          // One consume won and minted; the other waited for its answer: one new token, not two.
          expect(two.refresh_token, `run ${run}`).to.equal(one.refresh_token);
          expect(two.access_token).to.equal(one.access_token);
        }
        expect(server.latchkey.refreshStats.racesCoalesced - coalesced, 'each run was a race').to.equal(20);
      } finally {
        oidc.find = find;
      }
    });

    it('refuses a scope the refresh token was not granted, naming it', async () => {
      const customer = await server.createUser('Narrow Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
      const { client: c, auth } = client(app);
      const response = await oauth.refreshTokenGrantRequest(app.as, c, auth, tokens.refresh_token!, {
        ...insecure, additionalParameters: { scope: 'write:contacts' },
      });
      const err = await expectOAuthError(() => oauth.processRefreshTokenResponse(app.as, c, response));
      expect(err.error).to.equal('invalid_scope');
      expect(err.error_description).to.include('write:contacts');
    });
  });

  describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
    it('shows a revoked refresh token as inactive', async () => {
      const customer = await server.createUser('Revoke Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
      const before = await introspect(app, tokens.refresh_token!);
      expect(before.active).to.equal(true);
      expect(before.client_id).to.equal(app.clientId);
      const { client: c, auth } = client(app);
      await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, tokens.refresh_token!, insecure));
      expect((await introspect(app, tokens.refresh_token!)).active).to.equal(false);
      expect((await expectOAuthError(() => refresh(app, tokens.refresh_token!))).error).to.equal('invalid_grant');
    });

    it('does not let one client introspect another client\'s token', async () => {
      const customer = await server.createUser('Nosy Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
      const other = await server.createClient({ name: 'Other', type: 'web', scopes: 'read:contacts offline_access', redirectUris: [redirectUri] });
      const result = await introspect({ ...app, clientId: other.clientId, clientSecret: other.clientSecret }, tokens.refresh_token!);
      expect(result.active).to.equal(false);
    });
  });
});
