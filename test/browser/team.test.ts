// The team page and an invitation in a real browser (issue 23): the forms work under the portal's
// Content-Security-Policy, and axe-core finds no serious accessibility fault on either page.
import { expect } from 'chai';
import { Browser } from '../../packages/form-browser/browser.ts';
import { accessibilityViolations, describeInChromium, openPage } from '../helpers/chromium.ts';
import { linkFromDevMailbox } from '../portal/helpers.ts';

describeInChromium('the team page in a real browser (Chromium)', (chrome) => {
  it('an owner invites from the page; the invitee accepts from the link and lands signed in', async () => {
    const owner = await chrome.server.createUser('Chromium Team Co');
    const { context, page, violations } = await openPage(chrome.browser);
    await page.goto(`${chrome.server.issuer}/portal/login`);
    await page.fill('input[name=email]', owner.email);
    await page.fill('input[name=password]', owner.password);
    await Promise.all([page.waitForURL(`${chrome.server.issuer}/portal`), page.click('button[type=submit]')]);
    await page.goto(`${chrome.server.issuer}/portal/team`);
    expect(await accessibilityViolations(page), 'the team page').to.deep.equal([]);

    const email = `chromium.invitee.${Date.now()}@example.com`;
    await page.fill('#email', email);
    await page.check('input[name=role][value=viewer]');
    await Promise.all([page.waitForURL('**/portal/team?done=invited'), page.click('button:has-text("Send the invitation")')]);
    expect(await page.textContent('#invitations')).to.include(email).and.include('viewer');

    const link = await linkFromDevMailbox(new Browser(), chrome.server.issuer, email, '/portal/invitation');
    const invitee = await openPage(chrome.browser);
    await invitee.page.goto(link);
    expect(new URL(invitee.page.url()).search, 'the token left the address bar').to.equal('');
    expect(await invitee.page.textContent('h1')).to.equal('Join Chromium Team Co');
    expect(await accessibilityViolations(invitee.page), 'the invitation page').to.deep.equal([]);
    await invitee.page.fill('#password', `a patient heron over the marsh ${Date.now()}`);
    await Promise.all([invitee.page.waitForURL('**/portal/team?done=joined'), invitee.page.click('button[type=submit]')]);
    expect(await invitee.page.textContent('#members')).to.include(email);
    expect(violations.concat(invitee.violations)).to.deep.equal([]);
    await invitee.context.close();
    await context.close();
  });
});
