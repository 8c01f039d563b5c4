// The portal in a real browser (Chromium via playwright-core): sign up, confirm the address from the
// development mailbox, sign in, create a key, see it once
// with focus on it, copy it with the button, reload and see no second key; at 390 px the keys table
// fits its card. Writes test/artifacts/keys-created.png for a reviewer. Pending without Chromium.
import { expect } from 'chai';
import { describeInChromium, openPage, saveScreenshot } from '../helpers/chromium.ts';
import { newOwner } from '../portal/helpers.ts';

describeInChromium('the portal keys page in a real browser (Chromium)', (chrome) => {

  it('signs up, creates a key shown once, copies it, and a reload makes no second key', async () => {
    const { context, page, violations } = await openPage(chrome.browser, { viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: chrome.server.issuer });
    const owner = newOwner('Browser Keys Co');

    await page.goto(`${chrome.server.issuer}/`);
    await page.click('a[href="/portal/signup"]');
    await page.fill('#name', owner.name);
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await page.click('button:has-text("Create account")');
    await page.waitForSelector('h1:has-text("Check your email")');
    // No mail server in this test: the development mailbox lists the mail, with its link.
    await page.click('a[href="/portal/dev/mail"]');
    await page.click(`section:has-text("${owner.email}") a[href*="/portal/verify?link="]`);
    await page.click('button:has-text("Confirm my address")');
    await page.waitForSelector('h1:has-text("Address confirmed")');
    await page.click('a:has-text("Sign in")');
    await page.fill('#email', owner.email);
    await page.fill('#password', owner.password);
    await Promise.all([page.waitForURL(`${chrome.server.issuer}/portal`), page.click('button:has-text("Sign in")')]);
    expect(await page.textContent('.topbar')).to.include('Browser Keys Co');
    expect(await page.locator('tr.key-row').count()).to.equal(0);

    await Promise.all([page.waitForURL('**/portal/keys/new'), page.click('a:has-text("Create a test key")')]);
    await page.fill('#key-name', 'Browser key');
    await page.check('input[name=scopes][value="read:contacts"]');
    await Promise.all([page.waitForURL(/\/portal\?created=key_/), page.click('button:has-text("Create key")')]);
    const key = (await page.textContent('#new-key'))!.trim();
    expect(key).to.match(/^sk_test_/);
    expect(page.url()).not.to.include(key);
    // Page code as text: this project type-checks without the DOM library.
    expect(await page.evaluate<string>('document.activeElement && document.activeElement.id'), 'focus on the new key').to.equal('new-key');
    expect(await page.locator('tr.key-row').count()).to.equal(1);

    await page.click('button[data-copy="new-key"]');
    await page.waitForSelector('text=Copied to the clipboard.');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).to.equal(key);
    await saveScreenshot(page, 'keys-created.png');

    await page.reload();
    expect(await page.locator('#new-key').count(), 'not shown again').to.equal(0);
    expect(await page.textContent('.notice')).to.include('shown once');
    expect(await page.locator('tr.key-row').count(), 'no second key').to.equal(1);
    // Back goes to the form (the key is made by its POST, which back does not send again).
    await page.goBack();
    await page.goto(`${chrome.server.issuer}/portal`);
    expect(await page.locator('tr.key-row').count(), 'back: still one key').to.equal(1);
    expect(violations, 'no CSP violation').to.deep.equal([]);

    // 390 px wide: the table's rows stack and nothing overflows the card or the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${chrome.server.issuer}/portal`);
    const overflow = await page.evaluate<{ card: number; table: number; page: number }>(`(() => {
      const card = document.querySelector('main.card');
      const table = document.querySelector('#keys-table');
      return {
        card: card.scrollWidth - card.clientWidth,
        table: table.getBoundingClientRect().right - card.getBoundingClientRect().right,
        page: document.documentElement.scrollWidth - window.innerWidth,
      };
    })()`);
    expect(overflow.card, 'card').to.be.at.most(0);
    expect(overflow.table, 'table inside its card').to.be.at.most(0);
    expect(overflow.page, 'page').to.be.at.most(0);
    if (process.env.SCREENSHOTS) await saveScreenshot(page, 'keys-390.png');
    await context.close();
  });
});
