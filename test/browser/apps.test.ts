// Registering and rotating an OAuth app in a real browser (Debian's Chromium, driven by
// playwright-core): the multipart form with its file input, the secret shown once after the
// redirect with focus on it, rotation with an overlap and, after a confirmation, without.
// Pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { describeInChromium, openPage, saveScreenshot } from '../helpers/chromium.ts';
import { recordSecret } from '../helpers/secret-registry.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describeInChromium('OAuth apps in a real browser (Chromium)', (chrome) => {

  async function tokenStatus(clientId: string, secret: string): Promise<number> {
    const response = await fetch(`${chrome.server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'none', redirect_uri: 'https://app.example.com/cb' }),
    });
    await response.arrayBuffer();
    // 400 invalid_grant: the client authenticated and only the made-up code was refused.
    return response.status;
  }

  /** The secret shown once on the page, which must have the focus. */
  async function shownSecret(page: Page): Promise<string> {
    const secret = (await page.textContent('#client-secret'))!.trim();
    recordSecret(secret);
    expect(await page.evaluate('document.activeElement && document.activeElement.id'), 'focus on the new secret').to.equal('client-secret');
    expect(await page.textContent('.reveal .warning')).to.include('Shown only once');
    return secret;
  }

  // How far the widest element of the card sticks out of its content box (into its padding or
  // beyond), in pixels. Evaluated in the page, as a string: tests are type-checked without the DOM library.
  const OVERFLOW_OF_CARD = `(() => {
    const main = document.querySelector('main');
    const contentRight = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
    const rights = [...main.querySelectorAll('*')].map((element) => element.getBoundingClientRect().right);
    return Math.ceil(Math.max(...rights) - contentRight);
  })()`;
  const overflowOfCard = (page: Page) => page.evaluate<number>(OVERFLOW_OF_CARD);

  it('signs in, registers a web app, sees its secret once and rotates it with and without overlap', async () => {
    const user = await chrome.server.createUser('Browser Apps Co');
    const { context, page, violations } = await openPage(chrome.browser, { viewport: { width: 1100, height: 900 } });

    await page.goto(`${chrome.server.issuer}/portal/apps`);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    // Back where it was going after signing in (return_to).
    await Promise.all([page.waitForURL('**/portal/apps'), page.click('button[type=submit]')]);
    await page.click('text=Register an app');
    await page.click('a[href="/portal/apps/new?type=web"]');

    await page.fill('#name', 'Browser CRM');
    await page.fill('#homepage_url', 'https://app.example.com');
    await page.fill('#redirect_uris', 'https://app.example.com/cb');
    await page.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await page.check('input[name=scopes][value=openid]');
    await page.check('input[name=scopes][value="read:contacts"]');
    await Promise.all([page.waitForURL(/\/portal\/apps\/client_test_[^/]+$/), page.click('button:has-text("Register web app")')]);
    const clientId = (await page.textContent('#client-id'))!.trim();
    const first = await shownSecret(page);
    expect(page.url(), 'no secret in the URL').not.to.include(first);
    expect(await page.isVisible('button[data-copy="client-secret"]'), 'copy button').to.equal(true);
    expect(await tokenStatus(clientId, first)).to.equal(400);

    await page.reload();
    expect(await page.$('#client-secret'), 'gone after a reload').to.equal(null);

    await page.selectOption('#overlap', '1h');
    await Promise.all([page.waitForLoadState('load'), page.click('#rotate-secret button[type=submit]')]);
    const second = await shownSecret(page);
    expect(second).not.to.equal(first);
    expect(await tokenStatus(clientId, first), 'old secret, in its overlap').to.equal(400);

    await page.selectOption('#overlap', '0');
    await Promise.all([page.waitForURL('**/rotate-now'), page.click('#rotate-secret button[type=submit]')]);
    expect(await page.textContent('h1')).to.include('Browser CRM');
    await Promise.all([page.waitForURL(/\/portal\/apps\/client_test_[^/]+$/), page.click('button.danger')]);
    const third = await shownSecret(page);
    expect(await tokenStatus(clientId, second), 'rotated with no overlap').to.equal(401);
    expect(await tokenStatus(clientId, third)).to.equal(400);

    await saveScreenshot(page, 'apps.png');
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/portal/apps', `/portal/apps/${clientId}`]) {
      await page.goto(`${chrome.server.issuer}${path}`);
      expect(await overflowOfCard(page), `${path} fits its card at 390 px`).to.be.at.most(0);
    }
    await page.goto(`${chrome.server.issuer}/portal/apps`);
    await saveScreenshot(page, 'apps-390.png');
    expect(violations, 'no CSP violation on the way').to.deep.equal([]);
    await context.close();
  });
});
