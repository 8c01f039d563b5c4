// response_mode=form_post in a real browser (Debian's Chromium, driven by playwright-core): the page
// oidc-provider renders carries a CSP, and its auto-submit script still runs under it, posting the
// code to the client. Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { freePort, startServer, type TestServer } from '../helpers/server.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('response_mode=form_post in a real browser (Chromium)', function () {
  if (!existsSync(CHROMIUM)) {
    it(`runs when ${CHROMIUM} is installed (apt-get install chromium; .ci/run does)`);
    return;
  }
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  let callbackServer: Server;
  let app: WebApp;
  const posted: string[] = [];

  before(async () => {
    server = await startServer();
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    // The partner's app: keeps the form body it receives and says so.
    callbackServer = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        if (req.method === 'POST') posted.push(body);
        res.end('<!DOCTYPE html><title>callback</title><p>got it</p>');
      });
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
    const created = await server.createClient({ name: 'Form Post App', type: 'web', scopes: 'read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
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

  it('posts the code to the client from a page under a CSP, with no CSP violation', async () => {
    const user = await server.createUser('Form Post Browser Co');
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy|Refused/i.test(message.text())) violations.push(message.text()); });
    const formPostPolicies: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${server.issuer}/auth/`) && response.status() === 200) {
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

    const params = oauth.validateAuthResponse(app.as, { client_id: app.clientId }, new URLSearchParams(posted.at(-1)), state);
    const client = { client_id: app.clientId };
    const response = await oauth.authorizationCodeGrantRequest(app.as, client, oauth.ClientSecretBasic(app.clientSecret), params, app.redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client, response);
    expect(tokens.access_token).to.be.a('string');
    await page.close();
  });
});
