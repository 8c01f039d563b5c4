// Invitations by email (issue 23, items 2, 3 and 5), through a real SMTP server and the real forms:
// an owner invites from the team page, the mail's link opens a page naming the account and role,
// accepting with a password makes a signed-in member with a confirmed address; a link used, withdrawn,
// replaced or expired, or for an address with a user elsewhere, gets a page saying so and changes nothing.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { generateSortableId } from '../../server/secrets.ts';
import { startMailbox, type Mailbox } from '../helpers/mailbox.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

describe('invitations', function () {
  this.timeout(30_000);
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

  async function ownerAtTeamPage(name: string): Promise<{ browser: Browser; team: Page; owner: Awaited<ReturnType<TestServer['createUser']>> }> {
    const owner = await server.createUser(name);
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, owner);
    return { browser, owner, team: pageOf(await browser.navigate(`${server.issuer}/portal/team`, 'nowhere:')) };
  }
  async function inviteFromPage(browser: Browser, team: Page, email: string, role: string): Promise<Page> {
    return pageOf(await browser.submit(form(team, '/portal/team/invitations'), { email, role }, 'nowhere:'));
  }
  const openLink = async (link: string, browser = new Browser()) => ({ browser, page: pageOf(await browser.navigate(link, 'nowhere:')) });

  it('invites by mail; the link names the account and role; accepting signs in a confirmed member with that role', async () => {
    const { browser, team, owner } = await ownerAtTeamPage('Inviting Co');
    const email = `new.member.${Date.now()}@example.com`;
    const since = mailbox.mails.length;
    const after = await inviteFromPage(browser, team, email, 'developer');
    expect(after.html).to.include('Invitation sent.');
    expect(after.html).to.match(new RegExp(`class="invitation-row" data-email="${email.replaceAll('.', '\\.')}"`));

    const mail = await mailbox.waitFor(email, /invited to join/, since);
    expect(mail.text).to.include('Inviting Co').and.include('developer').and.include(owner.email);
    const link = mailbox.linkIn(mail, '/portal/invitation');
    const { browser: invitee, page } = await openLink(link);
    expect(new URL(page.url).search, 'the token leaves the address bar').to.equal('');
    expect(page.html).to.include('Join Inviting Co').and.include('<strong>developer</strong>').and.include(email);

    const weak = pageOf(await invitee.submit(form(page, '/portal/invitation'), { password: 'password1234' }, 'nowhere:'));
    expect(weak.status).to.equal(400);
    expect(weak.html).to.include('id="password-error"');
    const joined = pageOf(await invitee.submit(form(weak, '/portal/invitation'), { password: `a quiet orchard by the river ${Date.now()}` }, 'nowhere:'));
    expect(new URL(joined.url).pathname).to.equal('/portal/team');
    expect(joined.html).to.include('Welcome');

    const user = (await server.latchkey.store.findUserByEmail(email))!;
    expect(user).to.include({ accountId: owner.accountId, role: 'developer' });
    expect(user.emailVerifiedAt, 'the link confirmed the address').to.be.instanceOf(Date);
    const actions = (await server.latchkey.store.listAuditEvents(owner.accountId, 20)).map((e) => e.action);
    expect(actions).to.include.members(['member.invited', 'member.joined']);

    const again = await openLink(link);
    expect(again.page.status).to.equal(400);
    expect(again.page.html).to.include('already accepted');
  });

  it('sending again replaces the link; withdrawing kills it; both leave the member list as it was', async () => {
    const { browser, team } = await ownerAtTeamPage('Changing Mind Co');
    const email = `maybe.${Date.now()}@example.com`;
    let since = mailbox.mails.length;
    const invited = await inviteFromPage(browser, team, email, 'viewer');
    const first = mailbox.linkIn(await mailbox.waitFor(email, /invited to join/, since), '/portal/invitation');
    since = mailbox.mails.length;
    const resent = pageOf(await browser.submit(Browser.forms(invited).find((f) => f.action.endsWith('/resend'))!, {}, 'nowhere:'));
    expect(resent.html).to.include('Invitation sent again');
    const second = mailbox.linkIn(await mailbox.waitFor(email, /invited to join/, since), '/portal/invitation');
    expect(second).not.to.equal(first);
    expect((await openLink(first)).page.status, 'the first link is dead').to.equal(400);
    expect((await openLink(second)).page.status).to.equal(200);

    const withdrawn = pageOf(await browser.submit(Browser.forms(resent).find((f) => f.action.endsWith('/revoke'))!, {}, 'nowhere:'));
    expect(withdrawn.html).to.include('Invitation withdrawn.');
    const dead = await openLink(second);
    expect(dead.page.status).to.equal(400);
    expect(dead.page.html).to.include('was withdrawn');
    expect(await server.latchkey.store.findUserByEmail(email)).to.equal(undefined);
  });

  it('an expired invitation, or one for an address with a user elsewhere, gets a page saying so', async () => {
    const { owner } = await ownerAtTeamPage('Late Co');
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const token = 'ExpiredToken0123456789abcdefABCDEF0123456789';
    const createdAt = new Date(Date.now() - (LIFETIMES.invitation + 60) * 1000);
    await server.latchkey.store.createInvitation({
      id: generateSortableId('inv'), accountId: owner.accountId, email: `late.${Date.now()}@example.com`, role: 'viewer',
      tokenHash: pepper.hash(`invitation:${token}`), invitedBy: `user:${owner.userId}`, createdAt,
      expiresAt: new Date(createdAt.getTime() + LIFETIMES.invitation * 1000), acceptedAt: undefined, revokedAt: undefined,
    }, {});
    const expired = await openLink(`${server.issuer}/portal/invitation?link=${token}`);
    expect(expired.page.status).to.equal(400);
    expect(expired.page.html).to.include('expired').and.include('Late Co').and.not.include('name="password"');

    const elsewhere = await server.createUser('Elsewhere Co');
    const { browser, team } = await ownerAtTeamPage('Wants Them Co');
    const since = mailbox.mails.length;
    await inviteFromPage(browser, team, elsewhere.email, 'developer');
    const link = mailbox.linkIn(await mailbox.waitFor(elsewhere.email, /invited to join/, since), '/portal/invitation');
    const taken = await openLink(link);
    expect(taken.page.status).to.equal(400);
    expect(taken.page.html).to.include('one organisation only');
    expect((await server.latchkey.store.findUser(elsewhere.userId))?.accountId, 'still where they were').to.equal(elsewhere.accountId);
  });

  it('refuses bad input on the form: an unknown role, a member\'s own address', async () => {
    const { browser, team, owner } = await ownerAtTeamPage('Careful Inviter Co');
    const badRole = await inviteFromPage(browser, team, `x.${Date.now()}@example.com`, 'emperor');
    expect(badRole.status).to.equal(400);
    expect(badRole.html).to.include('id="role-error"');
    const already = await inviteFromPage(browser, team, owner.email, 'viewer');
    expect(already.status).to.equal(400);
    expect(already.html).to.include('already a member');
  });
});
