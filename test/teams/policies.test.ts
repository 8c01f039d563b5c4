// The account's policies and the team page's changes (issue 23, items 1, 3 and 4): two-factor
// required of every member (enrolment first, nothing else meanwhile, on every way in), live
// credentials kept to owners and admins, a role changed and a member removed from the portal.
import { expect } from 'chai';
import { generate } from 'otplib';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, isPage, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { startMailbox, type Mailbox } from '../helpers/mailbox.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

type Member = Awaited<ReturnType<TestServer['createUser']>>;

describe('team policies and changes', function () {
  this.timeout(30_000);
  let mailbox: Mailbox;
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8771/callback';

  before(async () => {
    mailbox = await startMailbox();
    server = await startServer({ env: { LATCHKEY_SMTP_URL: mailbox.url } });
    const created = await server.createClient({ name: 'Policy App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(async () => {
    await server?.stop({ removeData: true });
    await mailbox?.close();
  });

  const team = async (browser: Browser) => pageOf(await browser.navigate(`${server.issuer}/portal/team`, 'nowhere:'));
  async function setPolicy(owner: Browser, values: Record<string, string>): Promise<Page> {
    return pageOf(await owner.submit(form(await team(owner), '/portal/team/policy'), values, 'nowhere:'));
  }
  async function passwordStep(member: Member, browser = new Browser()): Promise<{ browser: Browser; page: Page }> {
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    return { browser, page: pageOf(await browser.submit(form(login, '/portal/login'), { email: member.email, password: member.password }, 'nowhere:')) };
  }
  /** Turns two-factor on from the enrolment page, with a code computed from the secret it shows. */
  async function enrol(browser: Browser, shown?: Page): Promise<void> {
    const page = shown ?? pageOf(await browser.navigate(`${server.issuer}/portal/security/two-factor`, 'nowhere:'));
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(page.html)![1]!;
    const done = pageOf(await browser.submit(form(page, '/portal/security/two-factor'), { code: await generate({ secret }) }, 'nowhere:'));
    expect(done.html).to.include('recovery');
  }
  const json = async (browser: Browser, csrf: string, method: string, path: string, body?: unknown) => browser.request(`${server.issuer}${path}`, {
    method, headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrf }, ...(body ? { body: JSON.stringify(body) } : {}),
  });

  it('two-factor required: a member without it is sent to enrolment and can do nothing else until done', async () => {
    const owner = await server.createUser('Strict Co');
    const ownerBrowser = new Browser();
    await signInToPortal(ownerBrowser, server.issuer, owner);
    const notYet = await setPolicy(ownerBrowser, { require_two_factor: 'on' });
    expect(notYet.status, 'whoever requires it has it first').to.equal(400);
    expect(notYet.html).to.include('id="require_two_factor-error"');
    await enrol(ownerBrowser);
    const saved = await setPolicy(ownerBrowser, { require_two_factor: 'on' });
    expect(saved.html).to.include('Policy saved.');

    const developer = await server.addMember(owner.accountId, 'developer');
    const { browser, page } = await passwordStep(developer);
    expect(new URL(page.url).pathname, 'straight to enrolment').to.equal('/portal/security/two-factor');
    expect(page.html).to.include('requires two-factor authentication of every member');
    const home = await browser.request(`${server.issuer}/portal/apps`);
    expect(home.status).to.equal(303);
    expect(home.headers.get('location')).to.equal('/portal/security/two-factor?required=1');
    const csrf = form(page, '/portal/security/two-factor').fields._csrf!;
    const refused = await json(browser, csrf, 'GET', '/v1/api-keys');
    expect(refused.status).to.equal(403);
    expect((JSON.parse(refused.html) as { error: { code: string } }).error.code).to.equal('two_factor_required');

    // An app's login: signed in, but no app gets this member yet.
    const { url } = await startAuthorization(app, 'read:contacts');
    const appBrowser = new Browser();
    const login = pageOf(await appBrowser.navigate(url.href, redirectUri));
    const answer = await appBrowser.submit(Browser.forms(login)[0]!, { email: developer.email, password: developer.password }, redirectUri);
    expect(isPage(answer), 'not sent back to the app').to.equal(true);
    expect(isPage(answer) && answer.html).to.include('two_factor_required').and.include('/portal/security/two-factor');

    // Enrolling ends it.
    await enrol(browser, page);
    expect((await browser.request(`${server.issuer}/portal/apps`)).status).to.equal(200);
    const security = pageOf(await browser.navigate(`${server.issuer}/portal/security`, 'nowhere:'));
    const off = await browser.submit(form(security, '/portal/security/two-factor/disable'), {}, 'nowhere:');
    expect(pageOf(off).status, 'turning it off is refused').to.equal(403);
  });

  it('live credentials for owners and admins: a developer creates test keys only', async () => {
    const owner = await server.createUser('Guarded Live Co');
    const ownerBrowser = new Browser();
    await signInToPortal(ownerBrowser, server.issuer, owner);
    await setPolicy(ownerBrowser, { live_admins_only: 'on' });
    const developer = await server.addMember(owner.accountId, 'developer');
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, developer);
    const csrf = form(home, '/portal/logout').fields._csrf!;
    const live = await json(browser, csrf, 'POST', '/v1/api-keys', { environment: 'live', scopes: ['read:contacts'] });
    expect(live.status).to.equal(403);
    expect(live.html).to.include('live credentials to owners and admins');
    expect((await json(browser, csrf, 'POST', '/v1/api-keys', { environment: 'test', scopes: ['read:contacts'] })).status).to.equal(201);
    const ownerCsrf = form(await team(ownerBrowser), '/portal/logout').fields._csrf!;
    expect((await json(ownerBrowser, ownerCsrf, 'POST', '/v1/api-keys', { environment: 'live', scopes: ['read:contacts'] })).status).to.equal(201);
  });

  it('changes a role and removes a member from the team page: the removal page lists what stays, the member is told and their apps lose access', async () => {
    const owner = await server.createUser('Changing Team Co');
    const ownerBrowser = new Browser();
    await signInToPortal(ownerBrowser, server.issuer, owner);
    const developer = await server.addMember(owner.accountId, 'developer');
    const devBrowser = new Browser();
    const devHome = await signInToPortal(devBrowser, server.issuer, developer);
    const devCsrf = form(devHome, '/portal/logout').fields._csrf!;
    const key = JSON.parse((await json(devBrowser, devCsrf, 'POST', '/v1/api-keys', { environment: 'test', scopes: ['read:contacts'], name: 'dev made this' })).html) as { id: string };
    const { tokens } = await authorizeAndExchange(app, developer, { scope: 'offline_access read:contacts' });

    const page = await team(ownerBrowser);
    const roleForm = Browser.forms(page).find((f) => f.action.endsWith(`/members/${developer.userId}/role`))!;
    const changed = pageOf(await ownerBrowser.submit(roleForm, { role: 'viewer' }, 'nowhere:'));
    expect(changed.html).to.include('Role changed.');
    expect((await json(devBrowser, devCsrf, 'POST', '/v1/api-keys', { environment: 'test', scopes: ['read:contacts'] })).status, 'a viewer now').to.equal(403);

    const confirm = pageOf(await ownerBrowser.navigate(`${server.issuer}/portal/team/members/${developer.userId}/remove`, 'nowhere:'));
    expect(confirm.html).to.include('dev made this').and.include(key.id);
    const since = mailbox.mails.length;
    const removed = pageOf(await ownerBrowser.submit(form(confirm, `/portal/team/members/${developer.userId}/remove`), {}, 'nowhere:'));
    expect(removed.html).to.include('Member removed');
    await mailbox.waitFor(developer.email, /removed from an account/, since);
    expect((await devBrowser.request(`${server.issuer}/portal`)).status).to.equal(303);
    const refused = await refresh(app, tokens.refresh_token!).then(() => 'refreshed', (err: { error?: string }) => err.error);
    expect(refused, 'the app lost access').to.equal('invalid_grant');
    const audit = (await server.latchkey.store.listAuditEvents(owner.accountId, 30)).map((e) => e.action);
    expect(audit).to.include.members(['member.role_changed', 'member.removed', 'grant.revoked']);
  });

  it('an admin cannot make or touch an owner; a member cannot remove themselves from the page', async () => {
    const owner = await server.createUser('Admin Limits Co');
    const admin = await server.addMember(owner.accountId, 'admin');
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, admin);
    const page = await team(browser);
    expect(Browser.forms(page).some((f) => f.action.endsWith(`/members/${owner.userId}/role`)), 'no role form for the owner').to.equal(false);
    expect(page.html).not.to.include('value="owner"');
    const csrf = form(page, '/portal/logout').fields._csrf!;
    const post = (path: string, values: Record<string, string>) => browser.request(`${server.issuer}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...values }).toString(),
    });
    expect((await post(`/portal/team/members/${owner.userId}/role`, { role: 'viewer' })).status).to.equal(403);
    expect((await post(`/portal/team/members/${owner.userId}/remove`, {})).status).to.equal(403);
    expect((await post('/portal/team/invitations', { email: `o.${Date.now()}@example.com`, role: 'owner' })).status).to.equal(403);
    expect((await post(`/portal/team/members/${admin.userId}/remove`, {})).status).to.equal(409);
    expect((await server.latchkey.store.findUser(owner.userId))?.role).to.equal('owner');
  });
});
