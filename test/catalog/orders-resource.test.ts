// A catalog declaring a second resource (the Orders API, from LATCHKEY_CATALOG_FILE): its scopes are
// first-class everywhere, and every access token is for one resource (one audience).
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { authorize, authorizeAndExchange, isPage, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError, insecure, oauth } from '../helpers/oauth.ts';
import { ORDERS, ORDERS_CATALOG, catalogFile, dropChildDatabase, startChild, type Child } from './child.ts';

describe('a catalog with a second resource', function () {
  this.timeout(60_000);
  let child: Child;
  let as: oauth.AuthorizationServer;
  let account: Record<string, string>;
  let service: Record<string, string>;
  const user = { email: 'orders@catalog.example', password: 'a long enough password' };

  before(async () => {
    child = await startChild({ LATCHKEY_CATALOG_FILE: catalogFile(ORDERS_CATALOG) });
    as = await discover(child.issuer);
    account = await child.latchkey(['account', 'create', '--name', 'Orders Co', '--email', user.email, '--password', user.password]);
    service = await child.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service',
      '--scopes', 'read:orders write:orders read:contacts']);
  });
  after(async () => {
    await child?.stop();
    await dropChildDatabase(child);
  });

  /** A token request by the service client with any parameters. */
  async function tokenRequest(params: Record<string, string>) {
    const client = { client_id: service.client_id! };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(service.client_secret!), new URLSearchParams(params), insecure);
    return oauth.processClientCredentialsResponse(as, client, response);
  }

  async function verifyFor(token: string, audience: string) {
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: as.issuer, audience, typ: 'at+jwt' });
    return payload;
  }

  it('lists the resource\'s scopes in discovery', () => {
    expect(as.scopes_supported).to.include.members(['read:orders', 'write:orders', 'read:contacts', 'openid']);
  });

  it('gives a client-credentials token for read:orders the orders resource as aud', async () => {
    const tokens = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:orders write:orders');
    const payload = await verifyFor(tokens.access_token, ORDERS);
    expect(payload.aud).to.equal(ORDERS);
    expect(payload.scope).to.equal('read:orders write:orders');
    const named = await tokenRequest({ scope: 'read:orders', resource: ORDERS });
    expect((await verifyFor(named.access_token, ORDERS)).scope).to.equal('read:orders');
  });

  it('keeps the built-in API as the audience of its own scopes', async () => {
    const tokens = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:contacts');
    expect((await verifyFor(tokens.access_token, `${child.issuer}/api`)).aud).to.equal(`${child.issuer}/api`);
  });

  it('refuses scopes of two resources without resource, naming them', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.client_id!, service.client_secret!, 'read:orders read:contacts'));
    expect(err.error).to.equal('invalid_target');
    expect(err.error_description).to.include("'read:orders'").and.include("'read:contacts'").and.include('resource=');
  });

  it('refuses another resource\'s scope with resource, naming it', async () => {
    const err = await expectOAuthError(() => tokenRequest({ scope: 'read:contacts', resource: ORDERS }));
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include("'read:contacts'").and.include('belongs to another resource');
  });

  it('refuses an unknown resource without repeating it', async () => {
    const err = await expectOAuthError(() => tokenRequest({ scope: 'read:orders', resource: 'https://unknown.example.com/zzz' }));
    expect(err.error).to.equal('invalid_target');
    expect(err.error_description).to.not.include('unknown.example.com');
  });

  it('refuses two resources in one request', async () => {
    const client = { client_id: service.client_id! };
    const params = new URLSearchParams([['scope', 'read:orders'], ['resource', ORDERS], ['resource', `${child.issuer}/api`]]);
    const err = await expectOAuthError(async () => oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(service.client_secret!), params, insecure)));
    expect(err.error).to.equal('invalid_target');
  });

  it('creates an API key holding read:orders', async () => {
    const key = await child.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:orders']);
    expect(key.key).to.match(/^sk_test_/);
  });

  it('shows the Orders API on /docs/scopes', async () => {
    const html = await (await fetch(`${child.issuer}/docs/scopes`)).text();
    expect(html).to.include('Orders API').and.include(ORDERS).and.include('id="read:orders"').and.include('See your orders');
    expect(html).to.include('Partner API');
  });

  it('refuses a web app that cannot get write:orders (consent: false)', async () => {
    const result = await child.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'w', '--type', 'web',
      '--scopes', 'write:orders', '--redirect-uri', 'https://app.example.com/cb']).catch((err: Error) => err);
    expect(result).to.be.instanceOf(Error);
  });

  it('groups the portal\'s scope choices by resource, with its name', async () => {
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${child.issuer}/portal/login`, 'nowhere:'));
    await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, 'nowhere:');
    const keys = pageOf(await browser.navigate(`${child.issuer}/portal/keys/new`, 'nowhere:'));
    const apps = pageOf(await browser.navigate(`${child.issuer}/portal/apps/new?type=web`, 'nowhere:'));
    for (const page of [keys, apps]) {
      expect(page.html).to.match(/<strong>Partner API<\/strong>[\s\S]*read:contacts[\s\S]*<strong>Orders API<\/strong>[\s\S]*read:orders/);
    }
    expect(apps.html).to.not.include('value="write:orders"');
    expect(keys.html).to.include('value="write:orders"');
  });

  describe('web app', () => {
    let app: WebApp;
    before(async () => {
      const redirectUri = 'https://app.example.com/callback';
      const web = await child.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'Orders Dashboard', '--type', 'web',
        '--scopes', 'openid offline_access read:orders read:contacts', '--redirect-uri', redirectUri]);
      app = { as, clientId: web.client_id!, clientSecret: web.client_secret!, redirectUri };
    });

    it('asks consent for the orders scope in words, and the code and refresh keep the orders audience', async () => {
      const { tokens, sawConsent } = await authorizeAndExchange(app, user, { scope: 'openid offline_access read:orders' });
      expect(sawConsent!.html).to.include('See your orders');
      expect((await verifyFor(tokens.access_token, ORDERS)).scope).to.equal('read:orders');
      const next = await refresh(app, tokens.refresh_token!);
      expect((await verifyFor(next.access_token, ORDERS)).aud).to.equal(ORDERS);
    });

    it('refuses a refresh naming another resource or its scope without spending the refresh token', async () => {
      const { tokens } = await authorizeAndExchange(app, user, { scope: 'openid offline_access read:orders' });
      const { client: c, auth } = { client: { client_id: app.clientId }, auth: oauth.ClientSecretBasic(app.clientSecret) };
      const refreshWith = async (extra: Record<string, string>) => oauth.processRefreshTokenResponse(as, c,
        await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token!, { ...insecure, additionalParameters: extra }));
      const other = await expectOAuthError(() => refreshWith({ resource: `${child.issuer}/api` }));
      expect(other.error).to.equal('invalid_target');
      const scope = await expectOAuthError(() => refreshWith({ resource: `${child.issuer}/api`, scope: 'read:contacts' }));
      expect(scope.error).to.be.oneOf(['invalid_scope', 'invalid_target']);
      const mixed = await expectOAuthError(() => refreshWith({ scope: 'read:orders read:contacts' }));
      // The grant is the orders resource's: the other scope is one it was not granted.
      expect(mixed.error).to.equal('invalid_scope');
      expect(mixed.error_description).to.include("'read:contacts'");
      const next = await refreshWith({});
      expect((await verifyFor(next.access_token, ORDERS)).aud).to.equal(ORDERS);
    });

    it('refuses a code exchange naming another resource without spending the code', async () => {
      const { callback, verifier, state } = await authorize(app, user, { scope: 'openid read:orders' });
      const { client: c, auth } = { client: { client_id: app.clientId }, auth: oauth.ClientSecretBasic(app.clientSecret) };
      const params = oauth.validateAuthResponse(as, c, callback, state);
      const exchange = async (extra: Record<string, string>) => oauth.processAuthorizationCodeResponse(as, c,
        await oauth.authorizationCodeGrantRequest(as, c, auth, params, app.redirectUri, verifier, { ...insecure, additionalParameters: extra }));
      const err = await expectOAuthError(() => exchange({ resource: `${child.issuer}/api` }));
      expect(err.error).to.equal('invalid_target');
      const tokens = await exchange({ resource: ORDERS });
      expect((await verifyFor(tokens.access_token, ORDERS)).scope).to.equal('read:orders');
    });

    it('refuses at /authorize scopes of two resources without resource', async () => {
      const { url } = await startAuthorization(app, 'openid read:orders read:contacts');
      const step = await new Browser().navigate(url.href, app.redirectUri);
      expect(isPage(step)).to.equal(false);
      const error = (step as URL).searchParams;
      expect(error.get('error')).to.equal('invalid_target');
      expect(error.get('error_description')).to.include("'read:orders'").and.include("'read:contacts'");
    });
  });
});
