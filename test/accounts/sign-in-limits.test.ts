// Brute-force protection on the sign-in forms (the OAuth login page and the portal): per email and
// address (waits that double), per address across emails, per email across addresses. The server
// trusts X-Forwarded-For here (TRUST_PROXY=true), so each test signs in from addresses of its own.
import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { INVALID_CREDENTIALS } from '../../server/accounts/service.ts';
import { Browser, errorMessage, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const REDIRECT_URI = 'http://localhost:8765/cb';
const SIGNED_IN = 303;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Attempt = (email: string, password: string, address: string) => Promise<Page>;

/** The login page of a fresh authorization request; each call posts its form from `address`. */
async function loginForm(app: WebApp): Promise<Attempt> {
  const browser = new Browser();
  const login = pageOf(await browser.navigate((await startAuthorization(app, 'read:contacts')).url.href, REDIRECT_URI));
  const form = Browser.forms(login)[0]!;
  return (email, password, address) => browser.request(form.action, {
    method: 'POST',
    body: new URLSearchParams({ ...form.fields, email, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
  });
}

/** The portal's sign-in form, fetched now from `address`, to be posted once (its CSRF cookie changes after). */
async function portalForm(issuer: string, address: string) {
  const browser = new Browser();
  const headers = { 'x-forwarded-for': address };
  const form = Browser.forms(pageOf(await browser.request(`${issuer}/portal/login`, { headers })))[0]!;
  return (email: string, password: string) => browser.request(form.action, {
    method: 'POST',
    body: new URLSearchParams({ ...form.fields, email, password }).toString(),
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function retryAfter(page: Page): number {
  return Number(page.headers.get('retry-after'));
}

/** The most failures one address can spend on one email in a window, given the doubling waits. */
function mostFailuresFromOneAddress(windowSeconds: number, longestWait: number): number {
  let failures = LIMITS.loginMaxFailures;
  let elapsed = 0;
  for (let wait: number = LIMITS.loginFirstWait; ; wait = Math.min(wait * 2, longestWait)) {
    elapsed += wait;
    if (elapsed >= windowSeconds) return failures;
    failures += 1;
  }
}

describe('sign-in limits', function () {
  this.timeout(60_000);
  let server: TestServer;
  let newLoginForm: () => Promise<Attempt>;

  before(async () => {
    server = await startServer({ env: { TRUST_PROXY: 'true' } });
    const web = await server.createClient({ name: 'App', type: 'web', scopes: 'read:contacts', redirectUris: [REDIRECT_URI] });
    const app = { as: await discover(server.issuer), clientId: web.clientId, clientSecret: web.clientSecret, redirectUri: REDIRECT_URI };
    newLoginForm = () => loginForm(app);
  });
  after(() => server.stop({ removeData: true }));

  it(`40 parallel sign-ins to one email evaluate at most ${LIMITS.loginMaxFailures}, and the right password sent once the limit is reached is refused`, async () => {
    const user = await server.createUser('Race Co');
    const attempt = await newLoginForm();
    const address = '198.51.100.40';
    const wrong = Array.from({ length: 39 }, (_, i) => attempt(user.email, `wrong password ${i}`, address));
    // The right password goes once the server has refused one attempt (or all 39 are answered).
    await new Promise<void>((resolve) => {
      for (const page of wrong) void page.then((p) => { if (p.status === 429) resolve(); });
      void Promise.all(wrong).then(() => resolve());
    });
    const right = await attempt(user.email, user.password, address);
    const statuses = (await Promise.all(wrong)).map((p) => p.status);
    const evaluated = statuses.filter((s) => s !== 429);
    expect(evaluated.length, `evaluated: ${statuses.join(' ')}`).to.be.at.most(LIMITS.loginMaxFailures);
    expect(evaluated.every((s) => s === 401)).to.equal(true);
    expect(right.status, 'the right password, after the limit').to.equal(429);
    expect(retryAfter(right)).to.be.at.least(1);
  });

  it('after 5 failures for one email from one address, each attempt waits, and the wait doubles: 1 s, 2 s, 4 s', async () => {
    const user = await server.createUser('Doubling Co');
    const attempt = await newLoginForm();
    const address = '198.51.100.5';
    for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) {
      const wrong = await attempt(user.email, `wrong ${i}`, address);
      expect(wrong.status).to.equal(401);
      expect(errorMessage(wrong)).to.equal(INVALID_CREDENTIALS);
    }
    let wait: number = LIMITS.loginFirstWait;
    for (let round = 0; round < 3; round += 1) {
      const refused = await attempt(user.email, user.password, address);
      expect(refused.status, `round ${round}: even the right password waits`).to.equal(429);
      expect(retryAfter(refused), `round ${round}`).to.equal(wait);
      expect(errorMessage(refused)).to.match(/^Too many failed sign-ins\. Try again in \d+ seconds?\.$/);
      await sleep(wait * 1000 + 100);
      if (round < 2) expect((await attempt(user.email, 'wrong again', address)).status, `round ${round}: one more try`).to.equal(401);
      wait *= 2;
    }
    expect((await attempt(user.email, user.password, address)).status, 'after the wait, the right password').to.equal(SIGNED_IN);
  });

  it('the wait is per address: the same email signs in from another address, and the portal shares the count', async () => {
    const user = await server.createUser('Elsewhere Co');
    const attempt = await newLoginForm();
    const portalAttempt = await portalForm(server.issuer, '198.51.100.6');
    for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) expect((await attempt(user.email, 'wrong', '198.51.100.6')).status).to.equal(401);
    expect((await portalAttempt(user.email, user.password)).status, 'the portal, same address').to.equal(429);
    expect((await attempt(user.email, user.password, '203.0.113.6')).status, 'another address').to.equal(SIGNED_IN);
  });

  it('treats unknown emails the same way (the limit reveals nothing), and a success starts the count again', async () => {
    const attempt = await newLoginForm();
    const statuses: number[] = [];
    for (let i = 0; i <= LIMITS.loginMaxFailures; i += 1) statuses.push((await attempt('nobody@nowhere.example', 'guess', '198.51.100.7')).status);
    expect(statuses).to.deep.equal([...Array<number>(LIMITS.loginMaxFailures).fill(401), 429]);

    const user = await server.createUser('Reset Co');
    const portal = (password: string) => portalForm(server.issuer, '198.51.100.8').then((post) => post(user.email, password));
    for (let i = 0; i < LIMITS.loginMaxFailures - 1; i += 1) expect((await portal('wrong')).status).to.equal(401);
    expect((await portal(user.password)).status).to.equal(SIGNED_IN);
    for (let i = 0; i < LIMITS.loginMaxFailures - 1; i += 1) expect((await portal('wrong')).status).to.equal(401);
    expect((await portal(user.password)).status, 'not limited: the count started again').to.equal(SIGNED_IN);
  });

  it(`refuses an address after ${LIMITS.loginSourceMaxFailures} failures across many emails, even a right password; other addresses are fine`, async () => {
    const user = await server.createUser('Spray Co');
    const attempt = await newLoginForm();
    const address = '198.51.100.100';
    // 120 guesses over 60 emails, in parallel: two each, far below the per-email limits.
    const guesses = Array.from({ length: 120 }, (_, i) => attempt(`spray${i % 60}@victims.example`, `guess ${i}`, address));
    const statuses = (await Promise.all(guesses)).map((p) => p.status);
    expect(statuses.filter((s) => s === 401).length, 'evaluated').to.equal(LIMITS.loginSourceMaxFailures);
    expect(statuses.filter((s) => s === 429).length, 'refused').to.equal(120 - LIMITS.loginSourceMaxFailures);

    const refused = await attempt(user.email, user.password, address);
    expect(refused.status).to.equal(429);
    expect(retryAfter(refused)).to.be.within(1, LIFETIMES.signInWindow);
    expect((await attempt(user.email, user.password, '203.0.113.100')).status, 'another address').to.equal(SIGNED_IN);
  });

  it(`refuses an email everywhere after ${LIMITS.loginEmailMaxFailures} failures from many addresses, more than one address can reach`, async () => {
    expect(LIMITS.loginEmailMaxFailures, 'one attacker alone cannot lock a user out everywhere')
      .to.be.greaterThan(mostFailuresFromOneAddress(LIFETIMES.signInWindow, LIFETIMES.loginLockout));
    const user = await server.createUser('Target Co');
    const bystander = await server.createUser('Bystander Co');
    const attempt = await newLoginForm();
    // Two guesses from each of 25 addresses: each stays under its own per-address limit.
    const addresses = Array.from({ length: LIMITS.loginEmailMaxFailures / 2 }, (_, i) => `192.0.2.${i + 1}`);
    const statuses = await Promise.all(addresses.map(async (address) => [
      (await attempt(user.email, 'guess one', address)).status,
      (await attempt(user.email, 'guess two', address)).status,
    ]));
    expect(statuses.flat().every((s) => s === 401), statuses.flat().join(' ')).to.equal(true);

    const fresh = '203.0.113.50';
    const refused = await attempt(user.email, user.password, fresh);
    expect(refused.status, 'the right password from a fresh address').to.equal(429);
    expect(retryAfter(refused)).to.be.within(1, LIFETIMES.signInWindow);
    expect((await attempt(bystander.email, bystander.password, fresh)).status, 'another email').to.equal(SIGNED_IN);
  });

  it('spares an address the user signed in from before the per-email ceiling (its own waits still apply); a new address is refused', async () => {
    const user = await server.createUser('Known Co');
    const attempt = await newLoginForm();
    const home = '198.51.100.60';
    expect((await attempt(user.email, user.password, home)).status, 'signed in from home before').to.equal(SIGNED_IN);
    // 11 addresses, 5 guesses each (their free tries): more than the ceiling, within seconds.
    const addresses = Array.from({ length: 11 }, (_, i) => `192.0.2.${201 + i}`);
    const statuses = (await Promise.all(addresses.map(async (address) => {
      const answers: number[] = [];
      for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) answers.push((await attempt(user.email, `guess ${i}`, address)).status);
      return answers;
    }))).flat();
    expect(statuses.filter((s) => s === 401).length, statuses.join(' ')).to.equal(LIMITS.loginEmailMaxFailures);

    expect((await attempt(user.email, user.password, '203.0.113.60')).status, 'a new address').to.equal(429);
    expect((await attempt(user.email, user.password, home)).status, 'home').to.equal(SIGNED_IN);
    for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) expect((await attempt(user.email, 'wrong', home)).status, 'home, wrong').to.equal(401);
    const waiting = await attempt(user.email, user.password, home);
    expect(waiting.status, 'home waits after its own failures').to.equal(429);
    expect(retryAfter(waiting)).to.equal(LIMITS.loginFirstWait);
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const user = await server.createUser('Six Co');
    const attempt = await newLoginForm();
    for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) {
      expect((await attempt(user.email, 'wrong', `2001:db8:aa:1::${i + 1}`)).status).to.equal(401);
    }
    expect((await attempt(user.email, user.password, '2001:db8:aa:1:ffff:ffff:ffff:fffe')).status, 'same /64').to.equal(429);
    expect((await attempt(user.email, user.password, '2001:db8:aa:2::1')).status, 'another /64').to.equal(SIGNED_IN);

    const mapped = await server.createUser('Mapped Co');
    for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) expect((await attempt(mapped.email, 'wrong', '198.51.100.61')).status).to.equal(401);
    expect((await attempt(mapped.email, mapped.password, '::ffff:198.51.100.61')).status, 'the same IPv4 host').to.equal(429);
  });

  describe('with the longest wait set by the operator (LATCHKEY_LOGIN_LOCKOUT=2s)', () => {
    let short: TestServer;
    before(async () => { short = await startServer({ env: { TRUST_PROXY: 'true', LATCHKEY_LOGIN_LOCKOUT: '2s' } }); });
    after(() => short.stop({ removeData: true }));

    it('doubles the wait up to that and no further', async () => {
      const user = await short.createUser('Window Co');
      const signIn = async (password: string) => (await portalForm(short.issuer, '198.51.100.9'))(user.email, password);
      for (let i = 0; i < LIMITS.loginMaxFailures; i += 1) expect((await signIn('wrong')).status).to.equal(401);
      const waits: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        const refused = await signIn(user.password);
        expect(refused.status).to.equal(429);
        waits.push(retryAfter(refused));
        await sleep(retryAfter(refused) * 1000 + 100);
        if (round < 2) expect((await signIn('wrong')).status).to.equal(401);
      }
      expect(waits).to.deep.equal([1, 2, 2]);
      expect((await signIn(user.password)).status, 'the wait has passed').to.equal(SIGNED_IN);
    });
  });
});
