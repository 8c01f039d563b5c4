// Every page a person sees, in Chromium (issue 25, item 8): the portal's pages (signed in and out),
// the docs, the consent page and the error pages. At 390 px wide none is wider than the screen, and
// axe-core finds no serious or critical accessibility fault on any; nothing breaks the CSP.
// Screenshots of the pages the issue names, at 1280 and 390 px, go to test/artifacts/.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { accessibilityViolations, describeInChromium, openPage, saveScreenshot } from '../helpers/chromium.ts';
import { ROOT } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';

const DOCS = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `/docs/${f.slice(0, -3)}`);
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** How far the page is wider than the window (0: it fits), and the widest element's selector when it is not. */
async function overflowOf(page: Page): Promise<{ by: number; culprit: string }> {
  // A string, run in the page: this project's types have no DOM.
  return page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const by = document.documentElement.scrollWidth - width;
    const scrolls = (e) => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
    let culprit = '';
    if (by > 0) {
      for (const element of document.querySelectorAll('body *')) {
        let clipped = false;
        for (let a = element.parentElement; a && !clipped; a = a.parentElement) clipped = scrolls(a);
        const box = element.getBoundingClientRect();
        if (!clipped && box.right > width + 1 && box.width > 0) {
          culprit = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (element.className ? '.' + String(element.className).replaceAll(' ', '.') : '')
            + ' in ' + element.parentElement.tagName.toLowerCase() + ': ' + element.textContent.slice(0, 40);
        }
      }
    }
    return { by, culprit };
  })()`);
}

describeInChromium('every page at 390 px and for assistive technology (Chromium)', (chrome) => {
  it('fits a phone and has no serious accessibility fault, signed out, signed in, in the docs, on consent and on errors', async function () {
    this.timeout(180_000);
    const { server } = chrome;
    const owner = await server.createUser('Every Page Co');
    const app = await server.createClient({ accountId: owner.accountId, name: 'Every Page App', type: 'web', scopes: 'read:contacts', redirectUris: ['https://every.example/cb'] });
    recordSecret(app.clientSecret);
    const { context, page, violations } = await openPage(chrome.browser, { viewport: PHONE });
    const problems: string[] = [];
    async function check(path: string, label = path): Promise<void> {
      if (path) await page.goto(`${server.issuer}${path}`);
      const overflow = await overflowOf(page);
      if (overflow.by > 0) problems.push(`${label}: ${overflow.by}px wider than the screen (${overflow.culprit})`);
      const faults = await accessibilityViolations(page);
      if (faults.length > 0) problems.push(`${label}: ${faults.join(', ')}`);
    }

    for (const path of ['/', '/portal/login', '/portal/signup', '/portal/forgot', '/docs', ...DOCS, '/no-such-page',
      `/auth?client_id=${app.clientId}&response_type=code&redirect_uri=https://evil.example/cb&scope=read:contacts&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`]) {
      await check(path);
    }

    await page.goto(`${server.issuer}/portal/login`);
    await page.fill('input[name=email]', owner.email);
    await page.fill('input[name=password]', owner.password);
    await Promise.all([page.waitForURL(`${server.issuer}/portal`), page.click('button[type=submit]')]);
    for (const path of ['/portal', '/portal/keys/new', '/portal/apps', '/portal/apps/new', '/portal/apps/new?type=web', `/portal/apps/${app.clientId}`,
      '/portal/connected-apps', '/portal/webhooks', '/portal/team', '/portal/audit', '/portal/audit?what=user.signed_in', '/portal/security']) {
      await check(path);
    }
    await page.goto(`${server.issuer}/portal/keys/new`);
    await page.fill('#key-name', 'x'.repeat(101));
    await Promise.all([page.waitForLoadState(), page.click('button:has-text("Create key")')]);
    await check('', 'the key form with errors');
    expect(await page.evaluate('document.activeElement.className'), 'the error summary takes focus').to.equal('error-summary');

    // The consent page, reached from the app's authorization request.
    await page.goto(`${server.issuer}/auth?client_id=${app.clientId}&response_type=code&redirect_uri=https://every.example/cb&scope=read:contacts&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`);
    await page.waitForSelector('text=wants to access your account');
    await check('', 'the consent page');

    expect(problems).to.deep.equal([]);
    expect(violations, 'nothing broke the CSP').to.deep.equal([]);
    await context.close();
  });

  it('writes screenshots of the pages the issue names, at 1280 and 390 px', async function () {
    this.timeout(120_000);
    const { server } = chrome;
    const owner = await server.createUser('Screenshot Co');
    const app = await server.createClient({ accountId: owner.accountId, name: 'Screenshot App', type: 'web', scopes: 'read:contacts', redirectUris: ['https://shots.example/cb'] });
    recordSecret(app.clientSecret);
    for (const [size, viewport] of [['1280', DESKTOP], ['390', PHONE]] as const) {
      const { context, page } = await openPage(chrome.browser, { viewport });
      await page.goto(`${server.issuer}/portal/login`);
      await page.fill('input[name=email]', owner.email);
      await page.fill('input[name=password]', owner.password);
      await Promise.all([page.waitForURL(`${server.issuer}/portal`), page.click('button[type=submit]')]);
      await page.goto(`${server.issuer}/portal/keys/new`);
      await page.check('input[name=environment][value=live]');
      await page.fill('#key-expires_at', '2001-01-01T00:00');
      await Promise.all([page.waitForLoadState(), page.click('button:has-text("Create key")')]);
      expect(await page.textContent('.error-summary')).to.include('Choose at least one scope').and.include('live key').and.include('The expiry must be in the future');
      await saveScreenshot(page, `keys-form-errors-${size}.png`);
      for (const [path, name] of [['/portal/webhooks', 'webhooks'], ['/portal/audit?what=user.signed_in', 'audit-filtered'],
        [`/portal/apps/${app.clientId}`, 'app'], ['/docs/getting-started', 'getting-started']] as const) {
        await page.goto(`${server.issuer}${path}`);
        await saveScreenshot(page, `${name}-${size}.png`);
      }
      await context.close();
    }
    const written = readdirSync(join(ROOT, 'test', 'artifacts'));
    for (const name of ['keys-form-errors', 'webhooks', 'audit-filtered', 'app', 'getting-started']) {
      expect(written, name).to.include.members([`${name}-1280.png`, `${name}-390.png`]);
    }
  });
});
