// Step-up (issue 22, item 4): a sensitive change with a sign-in older than 10 minutes asks for the
// password (and code) again, in the portal by a page, through /v1 with a session by step_up_required;
// a change after the step-up goes through. A reset leaves two-factor on.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { generate } from 'otplib';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, postNewKey, signInToPortal } from '../portal/helpers.ts';

describe('step-up for sensitive changes', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  /** Makes this browser's portal sign-in older than the step-up window (as if the user had been away). */
  async function ageSession(browser: Browser): Promise<void> {
    const id = browser.cookie('latchkey_portal');
    const digest = createHash('sha256').update(id!).digest('base64url');
    const record = await server.latchkey.store.oidc.find('PortalSession', digest);
    await server.latchkey.store.oidc.upsert('PortalSession', digest, { ...record, createdAt: Date.now() - (LIFETIMES.stepUp + 60) * 1000 }, 3600);
  }

  it('asks an old sign-in again before a live key, then makes it', async () => {
    const user = await server.createUser('Stepped Co');
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, user);
    await ageSession(browser);
    const asked = await postNewKey(browser, home, { name: 'Live key', environment: 'live', confirm_live: 'yes' });
    expect(asked.status).to.equal(303);
    expect(asked.headers.get('location')).to.equal('/portal/step-up?return_to=%2Fportal');
    expect(await server.latchkey.store.listApiKeys(user.accountId)).to.have.length(0);

    const csrf = form(home, '/portal/logout-everywhere').fields._csrf!;
    const api = await browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ environment: 'live', scopes: ['read:contacts'] }),
    });
    expect(api.status).to.equal(403);
    expect((JSON.parse(api.html) as { error: { code: string } }).error.code).to.equal('step_up_required');
    const testKey = await browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ environment: 'test', scopes: ['read:contacts'] }),
    });
    expect(testKey.status, 'a test key needs no step-up').to.equal(201);

    const stepUp = pageOf(await browser.navigate(`${server.issuer}${asked.headers.get('location')!}`, 'nowhere:'));
    const wrong = pageOf(await browser.submit(form(stepUp, '/portal/step-up'), { password: 'not the password at all' }, 'nowhere:'));
    expect(wrong.status).to.equal(401);
    const back = await browser.submit(form(wrong, '/portal/step-up'), { password: user.password }, `${server.issuer}/portal`);
    expect(back instanceof URL ? back.href : back.url).to.equal(`${server.issuer}/portal`);
    const home2 = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    expect((await postNewKey(browser, home2, { name: 'Live key', environment: 'live', confirm_live: 'yes' })).status).to.equal(303);
    expect((await server.latchkey.store.listApiKeys(user.accountId)).map((k) => k.environment).sort()).to.deep.equal(['live', 'test']);
  });

  it('a password reset leaves two-factor on: the next sign-in still asks for the code', async () => {
    const user = await server.createUser('Kept Factor Co');
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, user);
    const enrolment = pageOf(await browser.navigate(`${server.issuer}/portal/security/two-factor`, 'nowhere:'));
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(enrolment.html)![1]!;
    await browser.submit(form(enrolment, '/portal/security/two-factor'), { code: await generate({ secret }) }, 'nowhere:');
    expect((await server.latchkey.store.findUser(user.userId))?.totp).to.not.equal(undefined);
    // Forgot the password: reset it from the link in the development mailbox.
    const other = new Browser();
    const forgot = pageOf(await other.navigate(`${server.issuer}/portal/forgot`, 'nowhere:'));
    await other.submit(form(forgot, '/portal/forgot'), { email: user.email }, 'nowhere:');
    const mailbox = pageOf(await other.navigate(`${server.issuer}/portal/dev/mail`, 'nowhere:')).html;
    const link = new RegExp(`href="(${server.issuer}/portal/reset\\?link=[0-9A-Za-z]+)"`).exec(mailbox)![1]!;
    const page = pageOf(await other.navigate(link, 'nowhere:'));
    const newPassword = `quiet orchard violin ${Date.now()}`;
    expect(pageOf(await other.submit(form(page, '/portal/reset'), { password: newPassword }, 'nowhere:')).html).to.include('Password changed');
    expect((await server.latchkey.store.findUser(user.userId))?.totp, 'still on').to.not.equal(undefined);
    const login = pageOf(await other.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const next = pageOf(await other.submit(form(login, '/portal/login'), { email: user.email, password: newPassword }, 'nowhere:'));
    expect(next.html).to.include('name="code"');
  });
});
