// Self-serve sign-up through the real form: answers "check your email" whatever the address (a link
// for a new one, a mail to the owner of a taken one), refuses what the CLI refuses (keeping what was
// typed, beside its field), needs the CSRF pair, is rate limited like sign-in; and signing out
// everywhere ends every session of the user.
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, linkFromDevMailbox, newOwner, postSignUp, signedUp, signInToPortal } from './helpers.ts';

describe('portal sign-up', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('creates the account and its unconfirmed owner, answers "check your email", and mails a link', async () => {
    const owner = newOwner('Fresh Signup Co');
    const browser = new Browser();
    const answer = await postSignUp(browser, server.issuer, owner);
    expect(answer.status).to.equal(200);
    expect(answer.html).to.include('Check your email').and.include(owner.email);
    const user = await server.latchkey.store.findUserByEmail(owner.email);
    expect(user?.emailVerifiedAt, 'not confirmed yet').to.equal(undefined);
    expect((await server.latchkey.store.findAccount(user!.accountId))?.name).to.equal('Fresh Signup Co');
    expect(await linkFromDevMailbox(browser, server.issuer, owner.email, '/portal/verify')).to.match(/\/portal\/verify\?link=[0-9A-Za-z]{43}$/);

    // The new owner signs in with the password chosen, and lands on the portal, test credentials only.
    const home = await signInToPortal(browser, server.issuer, owner);
    expect(home.html).to.include('Fresh Signup Co').and.include('aria-current="page"').and.include('Send the link again');
    for (const path of ['/portal/signup', '/portal/login']) {
      const signedIn = await browser.request(`${server.issuer}${path}`);
      expect(signedIn.status, `${path} when signed in`).to.equal(303);
      expect(signedIn.headers.get('location')).to.equal('/portal');
    }
  });

  it('links sign-in and sign-up both ways', async () => {
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const signup = pageOf(await browser.navigate(`${server.issuer}/portal/signup`, 'nowhere:'));
    expect(login.html).to.include('href="/portal/signup"');
    expect(signup.html).to.include('href="/portal/login"');
  });

  it('refuses a weak password beside the field, keeping the name and email typed', async () => {
    const owner = { ...newOwner('Weak Secrets Co'), password: 'qwerty123456' };
    const answer = await postSignUp(new Browser(), server.issuer, owner);
    expect(answer.status).to.equal(400);
    expect(answer.html).to.match(/<p class="field-error" id="password-error">Password is too easy to guess/);
    expect(answer.html).to.match(/id="password"[^>]*aria-describedby="password-hint password-error"[^>]*aria-invalid="true"/);
    expect(answer.html).to.include('value="Weak Secrets Co"').and.include(`value="${owner.email}"`);
    expect(answer.html, 'a password is never sent back').not.to.include('qwerty123456');
    expect(await server.latchkey.store.findUserByEmail(owner.email)).to.equal(undefined);
  });

  it('answers an address already registered exactly as a new one, and tells its owner by mail instead', async () => {
    const taken = await server.createUser('Taken Co');
    const fresh = newOwner('Second Co');
    const [takenAnswer, freshAnswer] = [
      await postSignUp(new Browser(), server.issuer, { ...newOwner('Second Co'), email: taken.email }),
      await postSignUp(new Browser(), server.issuer, fresh),
    ];
    expect(takenAnswer.status).to.equal(freshAnswer.status);
    const strip = (html: string, email: string) => html.replaceAll(email, 'EMAIL').replace(/name="_csrf" value="[^"]*"/g, '');
    expect(strip(takenAnswer.html, taken.email), 'the same page').to.equal(strip(freshAnswer.html, fresh.email));
    expect((await server.latchkey.store.findUserByEmail(taken.email))?.accountId, 'nothing changed').to.equal(taken.accountId);
    const mailbox = pageOf(await new Browser().navigate(`${server.issuer}/portal/dev/mail`, 'nowhere:')).html;
    const toTaken = mailbox.split('<section').find((part) => part.includes(`<strong>${taken.email}</strong>`));
    expect(toTaken).to.include('Someone tried to sign up to Latchkey with your address').and.include(`${server.issuer}/portal/forgot`);
  });

  it('refuses a form without the matching CSRF pair', async () => {
    const browser = new Browser();
    const owner = newOwner('Forged Co');
    const forged = await postSignUp(browser, server.issuer, { ...owner, _csrf: 'forged' });
    expect(forged.status).to.equal(403);
    const noCookie = await new Browser().request(`${server.issuer}/portal/signup`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...owner, _csrf: 'x' }).toString(),
    });
    expect(noCookie.status).to.equal(403);
    expect(await server.latchkey.store.findUserByEmail(owner.email)).to.equal(undefined);
  });

  it('lists every problem of the form at once, above it', async () => {
    const answer = await postSignUp(new Browser(), server.issuer, { name: '', email: 'not-an-address', password: 'short' });
    expect(answer.status).to.equal(400);
    const summary = /<div class="error-summary" role="alert"[\s\S]*?<\/div>/.exec(answer.html)?.[0] ?? '';
    for (const field of ['name', 'email', 'password']) expect(summary, field).to.include(`href="#${field}"`);
    expect(answer.html).to.include('value="not-an-address"');
  });

  it('is rate limited like sign-in: failed sign-ups for one email from one address wait, with 429 and Retry-After', async () => {
    const owner = { ...newOwner('Limited Co'), password: 'short' };
    const browser = new Browser();
    for (let attempt = 1; attempt <= LIMITS.loginMaxFailures; attempt += 1) {
      expect((await postSignUp(browser, server.issuer, owner)).status, `attempt ${attempt}`).to.equal(400);
    }
    const limited = await postSignUp(browser, server.issuer, { ...owner, password: newOwner().password });
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.greaterThan(0);
    expect(limited.html).to.include('Too many attempts').and.include(`value="${owner.email}"`);
    expect(await server.latchkey.store.findUserByEmail(owner.email)).to.equal(undefined);
  });

  it('signs out everywhere: every session of the user ends, and signing in again works', async () => {
    const { browser: first, home, owner } = await signedUp(server.issuer, newOwner('Everywhere Co'));
    const second = new Browser();
    const login = pageOf(await second.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await second.submit(form(login, '/portal/login'), { email: owner.email, password: owner.password }, 'nowhere:'));
    expect((await second.request(`${server.issuer}/portal`)).status).to.equal(200);

    const out = await first.request(form(home, '/portal/logout-everywhere').action, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form(home, '/portal/logout-everywhere').fields).toString(),
    });
    expect(out.status).to.equal(303);
    for (const browser of [first, second]) {
      const after = await browser.request(`${server.issuer}/portal`);
      expect(after.status).to.equal(303);
      expect(after.headers.get('location')).to.equal('/portal/login');
    }
    const third = new Browser();
    const again = pageOf(await third.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const home3 = pageOf(await third.submit(form(again, '/portal/login'), { email: owner.email, password: owner.password }, 'nowhere:'));
    expect(home3.html).to.include('Everywhere Co');
  });
});
