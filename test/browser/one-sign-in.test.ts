// One sign-in and RP-Initiated Logout in a real browser (issue 22, items 5 to 7): Chromium keeps its
// own cookies and SameSite rules, so this is where "a portal session completes the login" meets a
// partner's link from another site, and where the logout pages meet their Content-Security-Policy.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { accessibilityViolations, describeInChromium, openPage, startWebApp, type CallbackApp } from '../helpers/chromium.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { insecure, oauth } from '../helpers/oauth.ts';
import type { TestServer } from '../helpers/server.ts';

describeInChromium('one sign-in and logout in a real browser (Chromium)', (chrome) => {
  let callback: CallbackApp;
  let app: WebApp;
  type User = Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    ({ app, callback } = await startWebApp(chrome.server, { name: 'Shared Sign-In App', scopes: 'openid read:contacts' }));
  });
  after(() => callback?.close());

  async function portalSignIn(page: Page, user: User): Promise<void> {
    await page.goto(`${chrome.server.issuer}/portal/login`);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await Promise.all([page.waitForURL(`${chrome.server.issuer}/portal`), page.click('button[type=submit]')]);
  }

  it('a portal sign-in carries over to an app the user reaches from the partner\'s site', async () => {
    const user = await chrome.server.createUser('Chromium One Co');
    const { context, page, violations } = await openPage(chrome.browser);
    await portalSignIn(page, user);
    const { url } = await startAuthorization(app, 'openid read:contacts');
    await page.goto(callback.linkTo(url.href));
    await Promise.all([page.waitForLoadState('load'), page.click('#connect')]);
    await page.waitForSelector('ul.scopes');
    expect(await page.locator('input[name=password]').count(), 'no second sign-in').to.equal(0);
    expect(violations).to.deep.equal([]);
    await context.close();
  });

  it('the security page lists this browser, and has no serious accessibility fault', async () => {
    const user = await chrome.server.createUser('Chromium Places Co');
    const { context, page, violations } = await openPage(chrome.browser);
    await portalSignIn(page, user);
    await page.goto(`${chrome.server.issuer}/portal/security`);
    expect(await page.textContent('#places')).to.include('This browser').and.include('Chrome on Linux');
    expect(await accessibilityViolations(page)).to.deep.equal([]);
    expect(violations).to.deep.equal([]);
    await context.close();
  });

  it('RP-Initiated Logout asks, signs out of the portal too, and returns to the app with its state', async () => {
    const created = await chrome.server.createClient({
      name: 'Logout App', type: 'web', scopes: 'openid read:contacts', redirectUris: [callback.redirectUri],
      postLogoutRedirectUris: [callback.redirectUri.replace('/callback', '/signed-out')],
    });
    const logoutApp: WebApp = { ...app, clientId: created.clientId, clientSecret: created.clientSecret };
    const user = await chrome.server.createUser('Chromium Logout Co');
    const { context, page, violations } = await openPage(chrome.browser);
    const { url, verifier, state } = await startAuthorization(logoutApp, 'openid read:contacts');
    await page.goto(url.href);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow');
    await Promise.all([page.waitForURL(`${callback.redirectUri}**`), page.click('button:has-text("Allow")')]);
    const client = { client_id: logoutApp.clientId };
    const params = oauth.validateAuthResponse(logoutApp.as, client, new URL(page.url()), state);
    const tokens = await oauth.processAuthorizationCodeResponse(logoutApp.as, client, await oauth.authorizationCodeGrantRequest(
      logoutApp.as, client, oauth.ClientSecretBasic(logoutApp.clientSecret), params, logoutApp.redirectUri, verifier, insecure));

    const signedOut = callback.redirectUri.replace('/callback', '/signed-out');
    const end = new URL(String(logoutApp.as.end_session_endpoint));
    end.search = new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: signedOut, state: 'bye' }).toString();
    await page.goto(callback.linkTo(end.href));
    await Promise.all([page.waitForLoadState('load'), page.click('#connect')]);
    expect(await page.textContent('main')).to.match(/sign out/i);
    expect(await accessibilityViolations(page)).to.deep.equal([]);
    await Promise.all([page.waitForURL(`${signedOut}**`), page.click('button[name=logout]')]);
    expect(new URL(page.url()).searchParams.get('state')).to.equal('bye');

    await page.goto(`${chrome.server.issuer}/portal`);
    expect(new URL(page.url()).pathname, 'signed out of the portal too').to.equal('/portal/login');
    expect(violations).to.deep.equal([]);
    await context.close();
  });
});
