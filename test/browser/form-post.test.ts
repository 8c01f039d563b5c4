// response_mode=form_post in a real browser (Debian's Chromium, driven by playwright-core): the page
// oidc-provider renders carries a CSP, and its auto-submit script still runs under it, posting the
// code to the client. Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { expect } from 'chai';
import { describeInChromium, openPage, startWebApp, type CallbackApp } from '../helpers/chromium.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { insecure, oauth } from '../helpers/oauth.ts';

describeInChromium('response_mode=form_post in a real browser (Chromium)', (chrome) => {
  // The partner's app: keeps the form bodies it receives.
  let callbackPage: CallbackApp;
  let app: WebApp;

  before(async () => {
    ({ app, callback: callbackPage } = await startWebApp(chrome.server, { name: 'Form Post App', scopes: 'read:contacts' }));
  });
  after(() => callbackPage?.close());

  it('posts the code to the client from a page under a CSP, with no CSP violation', async () => {
    const user = await chrome.server.createUser('Form Post Browser Co');
    const { context, page, violations } = await openPage(chrome.browser);
    const formPostPolicies: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${chrome.server.issuer}/auth/`) && response.status() === 200) {
        formPostPolicies.push(response.headers()['content-security-policy'] ?? '');
      }
    });
    const { url, verifier, state } = await startAuthorization(app, 'read:contacts', { response_mode: 'form_post' });
    await page.goto(url.href);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow');
    await Promise.all([page.waitForURL(app.redirectUri), page.click('button:has-text("Allow")')]);
    expect(await page.textContent('p')).to.equal('got it');

    expect(formPostPolicies, 'the form_post page was served with a CSP').to.have.length(1);
    expect(formPostPolicies[0]).to.match(/default-src 'none'/).and.match(/script-src [^;]*'sha256-/);
    expect(violations, 'no CSP violation on the way').to.deep.equal([]);

    const params = oauth.validateAuthResponse(app.as, { client_id: app.clientId }, new URLSearchParams(callbackPage.posted.at(-1)), state);
    const client = { client_id: app.clientId };
    const response = await oauth.authorizationCodeGrantRequest(app.as, client, oauth.ClientSecretBasic(app.clientSecret), params, app.redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client, response);
    expect(tokens.access_token).to.be.a('string');
    await context.close();
  });
});
