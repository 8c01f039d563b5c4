// The authorization code flow in a real browser (Debian's Chromium, driven by playwright-core):
// proves the login and consent pages work under their Content-Security-Policy, through the
// redirects back to the client. Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { expect } from 'chai';
import { describeInChromium, openPage, startWebApp, type CallbackApp } from '../helpers/chromium.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import type { TestServer } from '../helpers/server.ts';

describeInChromium('in a real browser (Chromium)', (chrome) => {
  let callbackPage: CallbackApp;
  let app: WebApp;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    ({ app, callback: callbackPage } = await startWebApp(chrome.server, { name: 'Browser App', scopes: 'offline_access read:contacts' }));
    user = await chrome.server.createUser('Browser Co');
  });
  after(() => callbackPage?.close());

  it('signs in, shows the consent page and returns a code that redeems for tokens', async () => {
    const { context, page, violations } = await openPage(chrome.browser);
    const { url, verifier, state } = await startAuthorization(app, 'offline_access read:contacts');
    await page.goto(url.href);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow');
    expect(await page.textContent('ul.scopes')).to.include('See your contacts').and.include('Keep access when you are not using the app');
    if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/consent.png`, fullPage: true });
    await Promise.all([page.waitForURL(`${app.redirectUri}**`), page.click('button:has-text("Allow")')]);
    const callback = new URL(page.url());
    expect(violations, 'no CSP violation on the way').to.deep.equal([]);

    const client = { client_id: app.clientId };
    const params = oauth.validateAuthResponse(app.as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(app.as, client, oauth.ClientSecretBasic(app.clientSecret), params, app.redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client, response);
    expect(tokens.refresh_token).to.be.a('string');
    expect((await verifyAccessToken(app.as, tokens.access_token)).sub).to.equal(user.userId);
    await context.close();
  });

  it('sends access_denied when the user denies', async () => {
    const denier = await chrome.server.createUser('Denying Browser Co');
    const { context, page } = await openPage(chrome.browser);
    const { url } = await startAuthorization(app, 'read:contacts');
    await page.goto(url.href);
    await page.fill('input[name=email]', denier.email);
    await page.fill('input[name=password]', denier.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Deny');
    await Promise.all([page.waitForURL(`${app.redirectUri}**`), page.click('button:has-text("Deny")')]);
    expect(new URL(page.url()).searchParams.get('error')).to.equal('access_denied');
    await context.close();
  });
});
