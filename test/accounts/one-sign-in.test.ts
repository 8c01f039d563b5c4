// One sign-in for the portal and the authorization server (issue 22, item 5): either sign-in starts
// both in this browser; a portal session completes a login unless the app asks for a fresh one
// (prompt=login, max_age); signing out of either ends both; return_to is a portal path only.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { safeReturnPath } from '../../server/http/return-path.ts';
import { authorize, authorizeAndExchange, isPage, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

describe('one sign-in for the portal and the authorization server', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8767/callback';
  const signedOutUri = 'http://localhost:8767/signed-out';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({
      name: 'One Sign-In App', type: 'web', scopes: 'openid read:contacts', redirectUris: [redirectUri], postLogoutRedirectUris: [signedOutUri],
    });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server?.stop({ removeData: true }));

  async function openAuthorization(browser: Browser, extra: Record<string, string> = {}): Promise<Page | URL> {
    const { url } = await startAuthorization(app, 'openid read:contacts', extra);
    return browser.navigate(url.href, app.redirectUri);
  }
  const isLoginPage = (step: Page | URL) => isPage(step) && /name="password"/.test(step.html);

  it('a sign-in for an app signs the browser in to the portal too', async () => {
    const user = await server.createUser('Both Ways Co');
    const { browser } = await authorize(app, user, { scope: 'openid read:contacts' });
    const portal = await browser.request(`${server.issuer}/portal/connected-apps`);
    expect(portal.status, 'no second sign-in').to.equal(200);
  });

  it('a portal session completes the login, unless prompt=login or max_age asks for a newer one', async () => {
    const user = await server.createUser('Portal First Co');
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, user);
    const reused = await openAuthorization(browser);
    expect(isLoginPage(reused), 'no login page').to.equal(false);
    expect(isPage(reused) && reused.html).to.include('ul class="scopes"');
    const again = await openAuthorization(browser, { prompt: 'login' });
    expect(isLoginPage(again), 'prompt=login').to.equal(true);
    expect(isPage(again) && again.html, 'who is signed in, and a way out').to.include(user.email).and.include('href="/session/end">Sign out</a>');
    // oidc-provider counts auth_time in whole seconds: 2 s is surely more than max_age=1.
    await sleep(2100);
    const aged = await openAuthorization(browser, { max_age: '1' });
    expect(isLoginPage(aged), `max_age older than the sign-in: ${isPage(aged) ? aged.html.slice(0, 2000) : aged.href}`).to.equal(true);
  });

  it('signing out of the portal ends the authorization server\'s session in this browser', async () => {
    const user = await server.createUser('Sign Out Co');
    const { browser } = await authorize(app, user, { scope: 'openid read:contacts' });
    expect(isLoginPage(await openAuthorization(browser))).to.equal(false);
    const home = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    await browser.submit(form(home, '/portal/logout'), {}, 'nowhere:');
    expect(isLoginPage(await openAuthorization(browser)), 'asked to sign in again').to.equal(true);
  });

  it('RP-Initiated Logout ends this browser\'s portal session too', async () => {
    const user = await server.createUser('Rp Logout Co');
    const { browser } = await authorize(app, user, { scope: 'openid read:contacts' });
    const endSession = String(app.as.end_session_endpoint);
    const confirm = pageOf(await browser.navigate(`${endSession}?client_id=${app.clientId}`, 'nowhere:'));
    const logoutForm = Browser.forms(confirm).find((f) => f.fields.logout !== undefined) ?? Browser.forms(confirm)[0]!;
    await browser.submit(logoutForm, { logout: 'yes' }, 'nowhere:');
    expect((await browser.request(`${server.issuer}/portal`)).status, 'the portal session ended').to.equal(303);
  });

  it('RP-Initiated Logout returns to a registered post_logout_redirect_uri with the state, and refuses another', async () => {
    const user = await server.createUser('Return After Logout Co');
    const { tokens, browser } = await authorizeAndExchange(app, user, { scope: 'openid read:contacts' });
    const endSession = new URL(String(app.as.end_session_endpoint));
    const ask = (uri: string) => `${endSession.href}?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri, state: "st8" }).toString()}`;
    const refused = pageOf(await browser.navigate(ask('http://localhost:8767/elsewhere'), 'nowhere:'));
    expect(refused.status).to.equal(400);
    expect(refused.html).to.include('post_logout_redirect_uri');
    const confirm = pageOf(await browser.navigate(ask(signedOutUri), 'nowhere:'));
    const back = await browser.submit(Browser.forms(confirm)[0]!, { logout: 'yes' }, signedOutUri);
    expect(back).to.be.instanceOf(URL);
    expect((back as URL).searchParams.get('state')).to.equal('st8');
    expect((await browser.request(`${server.issuer}/portal`)).status, 'signed out of the portal too').to.equal(303);
  });

  it('keeps return_to to a path of the portal: never another host', () => {
    expect(safeReturnPath('/portal/connected-apps')).to.equal('/portal/connected-apps');
    expect(safeReturnPath('/portal/audit?before=evt_1')).to.equal('/portal/audit?before=evt_1');
    for (const bad of ['/portal/../docs', '//evil.example/portal', '/\\evil.example', 'https://evil.example/portal', '/portalx', '/portal//x', '/docs', 42]) {
      expect(safeReturnPath(bad), String(bad)).to.equal('/portal');
    }
  });
});
