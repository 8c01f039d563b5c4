// The authorization code flow in a real browser (Debian's Chromium, driven by playwright-core):
// proves the login and consent pages work under their Content-Security-Policy, through the
// redirects back to the client. Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { freePort, startServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('in a real browser (Chromium)', function () {
  if (!existsSync(CHROMIUM)) {
    it(`runs when ${CHROMIUM} is installed (apt-get install chromium; .ci/run does)`);
    return;
  }
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  let callbackServer: Server;
  let app: WebApp;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    server = await startServer();
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    // The partner's app: its callback page just says it got a code.
    callbackServer = createServer((_req, res) => { res.end('<!DOCTYPE html><title>callback</title><p>got it</p>'); });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
    const created = await server.createClient({ name: 'Browser App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    user = await server.createUser('Browser Co');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    callbackServer?.close();
    await server?.stop({ removeData: true });
  });

  it('signs in, shows the consent page and returns a code that redeems for tokens', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy|Refused/i.test(message.text())) violations.push(message.text()); });
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
  });

  it('sends access_denied when the user denies', async () => {
    const denier = await server.createUser('Denying Browser Co');
    const context = await browser.newContext();
    const page = await context.newPage();
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
