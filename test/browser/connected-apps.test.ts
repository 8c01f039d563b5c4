// The user's whole journey with a marketplace app in a real browser (Chromium via playwright-core):
// approve it on the consent page, see it under Connected apps, revoke it through the confirmation,
// and the app's refresh token then fails. Screenshots go to test/artifacts/ for review.
// Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { deflateSync } from 'node:zlib';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { describeInChromium, openPage, saveScreenshot, startWebApp, type CallbackApp } from '../helpers/chromium.ts';
import { refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { expectOAuthError, insecure, oauth } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import type { TestServer } from '../helpers/server.ts';

/** A square PNG of one colour: the app's logo. */
function solidPng(size: number, [r, g, b]: [number, number, number]): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => bytes.reduce((c, byte) => crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8), 0xffffffff) ^ 0xffffffff;
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body) >>> 0, 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

describeInChromium('connected apps in a real browser (Chromium)', (chrome) => {
  let callbackPage: CallbackApp;
  let app: WebApp;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    const partner = await chrome.server.createUser('Pipeline Partners GmbH');
    ({ app, callback: callbackPage } = await startWebApp(chrome.server, {
      accountId: partner.accountId, name: 'Pipeline CRM',
      scopes: 'openid offline_access read:contacts write:contacts read:events', homepageUrl: 'https://pipeline.example.com/crm',
      logo: { contentType: 'image/png', bytes: solidPng(64, [47, 91, 211]) },
    }));
    user = await chrome.server.createUser('Customer Org');
  });
  after(() => callbackPage?.close());

  async function text(page: Page, selector: string): Promise<string> {
    return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
  }

  it('approves the app on the consent page, sees it under Connected apps, revokes it, and the refresh fails', async () => {
    const { context, page, violations } = await openPage(chrome.browser, { viewport: { width: 1024, height: 900 } });

    // Sign in for the app: the login page says who asks.
    const { url, verifier, state } = await startAuthorization(app, 'offline_access openid read:events read:contacts');
    await page.goto(url.href);
    expect(await text(page, '.lead')).to.include('Pipeline CRM');
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');

    // The consent page: who asks, for which account, what in plain words, where next, where to revoke.
    await page.waitForSelector('ul.scopes');
    expect(await text(page, '.app-name')).to.equal('Pipeline CRM');
    expect(await text(page, '.app-organisation')).to.equal('Pipeline Partners GmbH');
    expect(await text(page, '.app-homepage')).to.equal('pipeline.example.com');
    expect(await page.getAttribute('img.app-logo', 'src')).to.match(new RegExp(`^/logos/${app.clientId}\\?v=`));
    expect(await text(page, '.account-email')).to.equal(user.email);
    expect(await text(page, '.account-name')).to.equal('Customer Org');
    const items = await page.locator('ul.scopes li').all();
    expect(await Promise.all(items.map((li) => li.getAttribute('data-scope')))).to.deep.equal(
      ['read:contacts', 'read:events', 'openid', 'offline_access']);
    expect(await page.locator('ul.scopes .scope-words').allTextContents()).to.deep.equal(
      ['See your contacts', 'See the activity on your account', 'Know who you are (your user id)', 'Keep access when you are not using the app']);
    expect(await text(page, '.redirect-host')).to.equal(new URL(app.redirectUri).host);
    expect(await page.getAttribute('a:has-text("Connected apps")', 'href')).to.equal('/portal/connected-apps');
    await saveScreenshot(page, 'consent.png');
    await Promise.all([page.waitForURL(`${app.redirectUri}**`), page.click('button:has-text("Allow")')]);

    // The app redeems the code.
    const client = { client_id: app.clientId };
    const params = oauth.validateAuthResponse(app.as, client, new URL(page.url()), state);
    const response = await oauth.authorizationCodeGrantRequest(app.as, client, oauth.ClientSecretBasic(app.clientSecret), params, app.redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client, response);
    recordSecret(tokens.access_token);
    recordSecret(tokens.refresh_token);
    expect(tokens.refresh_token).to.be.a('string');

    // One sign-in: the consent page's "Connected apps" link lands there, with no second sign-in.
    await page.goto(`${chrome.server.issuer}/portal/connected-apps`);
    expect(new URL(page.url()).pathname, 'signed in to the portal by the sign-in for the app').to.equal('/portal/connected-apps');
    const entry = page.locator('li.connected-app', { hasText: 'Pipeline CRM' });
    expect(await entry.count()).to.equal(1);
    const entryText = (await entry.innerText()).replace(/\s+/g, ' ');
    expect(entryText).to.include('by Pipeline Partners GmbH').and.include('See your contacts').and.include('Keep access when you are not using the app');
    expect(entryText).to.match(/Approved \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC/);
    expect(entryText).to.match(/Last used \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC/);
    await saveScreenshot(page, 'connected-apps.png');

    // Revoke, through the page that names the app.
    await page.getByRole('button', { name: 'Revoke Pipeline CRM' }).click();
    await page.waitForURL(/\/revoke\??$/);
    expect(await text(page, 'h1')).to.equal('Revoke Pipeline CRM?');
    await Promise.all([page.waitForURL(`${chrome.server.issuer}/portal/connected-apps`), page.getByRole('button', { name: 'Revoke Pipeline CRM' }).click()]);
    expect(await text(page, '.notice')).to.equal('Pipeline CRM can no longer access your account');
    expect(await page.locator('li.connected-app').count()).to.equal(0);
    expect(violations, 'no CSP violation on the way').to.deep.equal([]);

    const err = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.equal(GRANT_REVOCATION_REASONS.revoked_by_user.description);
    await context.close();
  });

  it('"Not you?" on a reused session signs in someone else for the same request', async () => {
    const other = await chrome.server.createUser('Other Org');
    const { context, page } = await openPage(chrome.browser);
    const signIn = async (who: { email: string; password: string }) => {
      await page.fill('input[name=email]', who.email);
      await page.fill('input[name=password]', who.password);
      await page.click('button[type=submit]');
      await page.waitForSelector('ul.scopes');
    };
    await page.goto((await startAuthorization(app, 'read:contacts')).url.href);
    await signIn(user);
    await Promise.all([page.waitForURL(`${app.redirectUri}**`), page.click('button:has-text("Allow")')]);

    const { url, state } = await startAuthorization(app, 'read:contacts write:contacts');
    await page.goto(url.href);
    expect(await text(page, '.account-email'), 'the reused session').to.equal(user.email);
    await page.click('button:has-text("Sign in as someone else")');
    await page.waitForSelector('input[name=password]');
    await signIn(other);
    expect(await text(page, '.account-email')).to.equal(other.email);
    await Promise.all([page.waitForURL(`${app.redirectUri}**`), page.click('button:has-text("Allow")')]);
    expect(new URL(page.url()).searchParams.get('state'), 'the same authorization request').to.equal(state);
    await context.close();
  });
});
