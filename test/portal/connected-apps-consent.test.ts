// The consent page as the user reads it (who asks, for which account, what in plain words, where the
// browser goes next, where to revoke), the consent.granted audit event, the login page naming the
// app, and "Not you? Sign in as someone else" on a reused session.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorize, client, isPage, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

function textOf(html: string, className: string): string {
  const match = new RegExp(`<(\\w+)[^>]*class="${className}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return match ? match[2]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() : '';
}

describe('consent page and sign-in for an app', () => {
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://127.0.0.1:8767/callback';

  before(async () => {
    server = await startServer();
    const partner = await server.createUser('Pipeline Partners GmbH');
    const created = await server.createClient({
      accountId: partner.accountId, name: 'Pipeline CRM', type: 'web', redirectUris: [redirectUri],
      scopes: 'openid offline_access read:contacts write:contacts read:events',
    });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server.stop({ removeData: true }));

  const isLogin = (page: Page) => /name="password"/.test(page.html);
  const isConsent = (page: Page) => Browser.forms(page).some((f) => f.action.endsWith('/confirm'));
  const formEnding = (page: Page, suffix: string) => Browser.forms(page).find((f) => f.action.endsWith(suffix));

  async function signIn(browser: Browser, page: Page, user: { email: string; password: string }): Promise<Page> {
    expect(isLogin(page), `the login page: ${page.status} ${page.url} ${page.html.slice(0, 1500)}`).to.equal(true);
    return pageOf(await browser.submit(Browser.forms(page)[0]!, { email: user.email, password: user.password }, redirectUri));
  }

  it('the login page names the app and its organisation', async () => {
    const { url } = await startAuthorization(app, 'read:contacts');
    const login = pageOf(await new Browser().navigate(url.href, redirectUri));
    expect(isLogin(login)).to.equal(true);
    expect(textOf(login.html, 'lead')).to.equal('to continue to Pipeline CRM by Pipeline Partners GmbH');
  });

  it('shows who asks, for which account, each scope in plain words (offline_access last), the redirect host and Connected apps', async () => {
    const user = await server.createUser('Customer Org');
    const browser = new Browser();
    const { url } = await startAuthorization(app, 'offline_access openid read:events read:contacts');
    const consent = await signIn(browser, pageOf(await browser.navigate(url.href, redirectUri)), user);
    expect(isConsent(consent), 'the consent page').to.equal(true);
    expect(textOf(consent.html, 'app-name')).to.equal('Pipeline CRM');
    expect(textOf(consent.html, 'app-organisation')).to.equal('Pipeline Partners GmbH');
    expect(textOf(consent.html, 'account-email')).to.equal(user.email);
    expect(textOf(consent.html, 'account-name')).to.equal('Customer Org');
    const scopes = [...consent.html.matchAll(/data-scope="([^"]+)"><span class="scope-words">([^<]+)</g)].map((m) => [m[1], m[2]]);
    expect(scopes).to.deep.equal([
      ['read:contacts', 'See your contacts'],
      ['read:events', 'See the activity on your account'],
      ['openid', 'Know who you are (your user id)'],
      ['offline_access', 'Keep access when you are not using the app'],
    ]);
    expect(textOf(consent.html, 'redirect-host')).to.equal('127.0.0.1:8767');
    expect(consent.html).to.match(/revoke this access at any time under <a href="\/portal\/connected-apps">Connected apps<\/a>/);
    expect(formEnding(consent, '/switch-account'), 'no "Not you?" right after signing in').to.equal(undefined);
    expect(formEnding(consent, '/abort'), 'a Deny button').to.not.equal(undefined);
  });

  it('records consent.granted in the user\'s account with the app and the scopes', async () => {
    const user = await server.createUser('Audited Org');
    const { callback, state, verifier } = await authorize(app, user, { scope: 'offline_access read:contacts' });
    const c = client(app);
    const params = oauth.validateAuthResponse(app.as, c.client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c.client,
      await oauth.authorizationCodeGrantRequest(app.as, c.client, c.auth, params, redirectUri, verifier, insecure));
    const grantId = String((await verifyAccessToken(app.as, tokens.access_token)).grant_id);
    const events = (await server.latchkey.store.listAuditEvents(user.accountId, 50)).filter((e) => e.action === 'consent.granted');
    expect(events.map((e) => ({ actor: e.actor, targetId: e.targetId, detail: e.detail }))).to.deep.equal([{
      actor: `user:${user.userId}`, targetId: grantId,
      detail: { client_id: app.clientId, name: 'Pipeline CRM', scopes: 'read:contacts offline_access' },
    }]);
  });

  it('offers "Not you?" on a reused session, and it signs in someone else for the same request', async () => {
    const first = await server.createUser('First Org');
    const second = await server.createUser('Second Org');
    const { browser } = await authorize(app, first, { scope: 'read:contacts' });

    const { url, state, verifier } = await startAuthorization(app, 'read:contacts write:contacts');
    const consent = pageOf(await browser.navigate(url.href, redirectUri));
    expect(isConsent(consent), 'the session is reused: consent straight away').to.equal(true);
    expect(textOf(consent.html, 'account-email')).to.equal(first.email);
    const notYou = formEnding(consent, '/switch-account');
    expect(notYou, 'a "Not you?" form').to.not.equal(undefined);
    expect(consent.html).to.include('Sign in as someone else');
    expect(Browser.forms(consent)[0]!.action, 'the page\'s first form still approves (DESIGN.md)').to.match(/\/confirm$/);

    const login = pageOf(await browser.submit(notYou!, {}, redirectUri));
    const secondConsent = await signIn(browser, login, second);
    expect(textOf(secondConsent.html, 'account-email'), 'the consent is now for the second user').to.equal(second.email);
    const callback = await browser.submit(formEnding(secondConsent, '/confirm')!, {}, redirectUri);
    expect(isPage(callback), 'back at the app').to.equal(false);

    const c = client(app);
    const params = oauth.validateAuthResponse(app.as, c.client, callback as URL, state);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c.client,
      await oauth.authorizationCodeGrantRequest(app.as, c.client, c.auth, params, redirectUri, verifier, insecure));
    expect((await verifyAccessToken(app.as, tokens.access_token)).sub, 'tokens for the second user').to.equal(second.userId);
  });

  it('refuses "Not you?" without the CSRF token', async () => {
    const user = await server.createUser('Csrf Org');
    const { browser } = await authorize(app, user, { scope: 'read:contacts' });
    const { url } = await startAuthorization(app, 'read:contacts read:events');
    const consent = pageOf(await browser.navigate(url.href, redirectUri));
    const notYou = formEnding(consent, '/switch-account')!;
    const refused = await browser.request(notYou.action, {
      method: 'POST', body: '_csrf=forged', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(refused.status).to.be.oneOf([400, 403]);
    const again = pageOf(await browser.navigate(url.href, redirectUri));
    expect(textOf(again.html, 'account-email'), 'still signed in').to.equal(user.email);
  });
});
