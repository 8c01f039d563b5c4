// Self-serve sign-up through the real form: lands signed in, refuses what the CLI refuses (keeping
// what was typed, beside its field), says when an email is taken, needs the CSRF pair, is rate
// limited like sign-in; and signing out everywhere ends every session of the user.
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, newOwner, postSignUp, signedUp } from './helpers.ts';

describe('portal sign-up', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('creates the account and its owner, and lands signed in on the portal with a 303', async () => {
    const owner = newOwner('Fresh Signup Co');
    const browser = new Browser();
    const answer = await postSignUp(browser, server.issuer, owner);
    expect(answer.status).to.equal(303);
    expect(answer.headers.get('location')).to.equal('/portal');
    const home = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    expect(home.status).to.equal(200);
    expect(home.html).to.include('Fresh Signup Co').and.include('aria-current="page"');
    const user = await server.latchkey.store.findUserByEmail(owner.email);
    expect((await server.latchkey.store.findAccount(user!.accountId))?.name).to.equal('Fresh Signup Co');
    for (const path of ['/portal/signup', '/portal/login']) {
      const signedIn = await browser.request(`${server.issuer}${path}`);
      expect(signedIn.status, `${path} when signed in`).to.equal(303);
      expect(signedIn.headers.get('location')).to.equal('/portal');
    }

    // The new owner signs in again with the password chosen.
    const again = new Browser();
    const login = pageOf(await again.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const landed = await again.submit(form(login, '/portal/login'), { email: owner.email, password: owner.password }, 'nowhere:');
    expect(pageOf(landed).html).to.include('Fresh Signup Co');
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

  it('says in plain words, on the email field, that an email is taken', async () => {
    const taken = await server.createUser('Taken Co');
    const answer = await postSignUp(new Browser(), server.issuer, { ...newOwner('Second Co'), email: taken.email });
    expect(answer.status).to.equal(409);
    expect(answer.html).to.include('<p class="field-error" id="email-error">An account already uses this email. Sign in instead, or use another email.</p>');
    expect(answer.html).to.match(/id="email"[^>]*aria-invalid="true" aria-describedby="email-error"/);
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
