// "Forgot password?" through a real SMTP server (issue 22, item 3): the same answer for every address
// and a mail only for a registered one; the link is single use, short-lived and asks for a policy
// password; a reset ends every session and sends a notice; requests are limited per email.
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { startMailbox, type Mailbox } from '../helpers/mailbox.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

describe('password reset', function () {
  this.timeout(20_000);
  let mailbox: Mailbox;
  let server: TestServer;
  before(async () => {
    mailbox = await startMailbox();
    server = await startServer({ env: { LATCHKEY_SMTP_URL: mailbox.url } });
  });
  after(async () => {
    await server?.stop({ removeData: true });
    await mailbox?.close();
  });

  async function askReset(email: string, browser = new Browser()): Promise<Page> {
    const forgot = pageOf(await browser.navigate(`${server.issuer}/portal/forgot`, 'nowhere:'));
    return pageOf(await browser.submit(form(forgot, '/portal/forgot'), { email }, 'nowhere:'));
  }

  it('answers the same for a registered and an unknown address, and mails only the registered one', async () => {
    const user = await server.createUser('Forgetful Co');
    const unknown = `nobody.${Date.now()}@example.com`;
    const [known, none] = [await askReset(user.email), await askReset(unknown)];
    expect(known.status).to.equal(none.status).and.equal(200);
    const strip = (html: string, email: string) => html.replaceAll(email, 'EMAIL');
    expect(strip(known.html, user.email)).to.equal(strip(none.html, unknown));
    await mailbox.waitFor(user.email, /Reset your Latchkey password/);
    expect((await server.latchkey.store.listMails(100)).map((m) => m.to)).not.to.include(unknown);
  });

  it('sets a new password from the link once, signs out every session, keeps the old one out, and sends a notice', async () => {
    const user = await server.createUser('Reset Co');
    const signedIn = new Browser();
    await signInToPortal(signedIn, server.issuer, user);
    const since = mailbox.mails.length;
    await askReset(user.email);
    const link = mailbox.linkIn(await mailbox.waitFor(user.email, /Reset your Latchkey password/, since), '/portal/reset');

    const browser = new Browser();
    const page = pageOf(await browser.navigate(link, 'nowhere:'));
    expect(new URL(page.url).search, 'the token leaves the address bar').to.equal('');
    expect(page.html).to.include('Choose a new password').and.include(user.email);
    const weak = pageOf(await browser.submit(form(page, '/portal/reset'), { password: 'password1234' }, 'nowhere:'));
    expect(weak.status).to.equal(400);
    expect(weak.html).to.include('id="password-error"');
    const newPassword = `a brand new harbour lantern ${Date.now()}`;
    const done = pageOf(await browser.submit(form(weak, '/portal/reset'), { password: newPassword }, 'nowhere:'));
    expect(done.html).to.include('Password changed');

    const ended = await signedIn.request(`${server.issuer}/portal`);
    expect(ended.status, 'the session from before the reset has ended').to.equal(303);
    await signInToPortal(new Browser(), server.issuer, { email: user.email, password: newPassword });
    const old = new Browser();
    const login = pageOf(await old.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const refused = pageOf(await old.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    expect(refused.status).to.equal(401);
    const again = pageOf(await new Browser().navigate(link, 'nowhere:'));
    expect(again.status, 'single use').to.equal(400);
    expect(again.html).to.include('This link cannot be used');
    const notice = await mailbox.waitFor(user.email, /Your Latchkey password was changed/, since);
    expect(notice.text).to.include('reset with a mailed link').and.include('Every session was signed out');
    const events = await server.latchkey.store.listAuditEvents(user.accountId, 5);
    expect(events.map((e) => e.action)).to.include.members(['user.password_reset', 'user.password_reset_requested']);
  });

  it('refuses an expired link, changing nothing', async () => {
    const user = await server.createUser('Late Co');
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const token = 'Expired0Token0For0This0Test0Only0abcdefghij';
    await server.latchkey.store.writeAlong({ tokens: [{
      hash: pepper.hash(`reset_password:${token}`), userId: user.userId, purpose: 'reset_password', email: user.email,
      createdAt: new Date(Date.now() - 3_600_000), expiresAt: new Date(Date.now() - 1000),
    }] });
    const page = pageOf(await new Browser().navigate(`${server.issuer}/portal/reset?link=${token}`, 'nowhere:'));
    expect(page.status).to.equal(400);
    expect(page.html).to.include('This link cannot be used').and.include('href="/portal/forgot"');
    await signInToPortal(new Browser(), server.issuer, user); // the password is unchanged
  });

  it(`mails at most ${LIMITS.resetMailsPerEmail} links an hour for one address, with the same answer after`, async () => {
    const user = await server.createUser('Spammed Co');
    for (let n = 0; n < LIMITS.resetMailsPerEmail + 2; n += 1) expect((await askReset(user.email)).html).to.include('Check your email');
    const stored = (await server.latchkey.store.listMails(200)).filter((m) => m.to === user.email && m.template === 'password_reset');
    expect(stored).to.have.length(LIMITS.resetMailsPerEmail);
  });

  it('is offered on both sign-in pages', async () => {
    const portal = pageOf(await new Browser().navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    expect(portal.html).to.include('href="/portal/forgot"');
  });
});
