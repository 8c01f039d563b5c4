// Brute-force protection on the sign-in forms (the OAuth login page and the portal).
import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { MAX_FAILURES } from '../../server/accounts/throttle.ts';
import { INVALID_CREDENTIALS, lockedOut } from '../../server/accounts/service.ts';
import { Browser, errorMessage, pageOf } from '../helpers/browser.ts';
import { startAuthorization } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const page = pageOf;

const message = errorMessage;

/** Submits the portal's sign-in form once; returns the page it answers with. */
async function portalSignIn(browser: Browser, issuer: string, email: string, password: string) {
  const login = page(await browser.navigate(`${issuer}/portal/login`, 'nowhere:'));
  return page(await browser.submit(Browser.forms(login)[0]!, { email, password }, 'nowhere:'));
}

describe('sign-in throttling', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  it(`locks an email after ${MAX_FAILURES} failed sign-ins, even for the right password, and not other emails`, async () => {
    const target = await server.createUser('Target Co');
    const bystander = await server.createUser('Bystander Co');
    const redirectUri = 'http://localhost:8765/cb';
    const web = await server.createClient({ name: 'App', type: 'web', scopes: 'read:contacts', redirectUris: [redirectUri] });
    const app = { as: await discover(server.issuer), clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
    const browser = new Browser();
    const login = page(await browser.navigate((await startAuthorization(app, 'read:contacts')).url.href, redirectUri));
    const form = Browser.forms(login)[0]!;
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      const wrong = page(await browser.submit(form, { email: target.email, password: `wrong ${i}` }, redirectUri));
      expect(wrong.status).to.equal(401);
      expect(message(wrong)).to.equal(INVALID_CREDENTIALS);
    }
    const locked = page(await browser.submit(form, { email: target.email, password: target.password }, redirectUri));
    expect(locked.status).to.equal(429);
    expect(message(locked)).to.equal(lockedOut(LIFETIMES.loginLockout));

    // The portal shares the count.
    const portal = new Browser();
    const portalLogin = page(await portal.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const portalLocked = page(await portal.submit(Browser.forms(portalLogin)[0]!, { email: target.email, password: target.password }, 'nowhere:'));
    expect(portalLocked.status).to.equal(429);

    // Another email is not affected; the lock is per email, whether or not it exists.
    const fine = await browser.submit(form, { email: bystander.email, password: bystander.password }, redirectUri);
    expect(fine instanceof URL || page(fine).status === 200, 'bystander signs in').to.equal(true);
  });

  it('locks unknown emails the same way (the lock reveals nothing)', async () => {
    const browser = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i <= MAX_FAILURES; i += 1) {
      const login = page(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
      statuses.push(page(await browser.submit(Browser.forms(login)[0]!, { email: 'nobody@nowhere.example', password: 'guess' }, 'nowhere:')).status);
    }
    expect(statuses).to.deep.equal([...Array<number>(MAX_FAILURES).fill(401), 429]);
  });

  it('resets the count after a successful sign-in', async () => {
    const user = await server.createUser('Reset Co');
    const browser = new Browser();
    const signInOnce = (password: string) => portalSignIn(browser, server.issuer, user.email, password);
    for (let i = 0; i < MAX_FAILURES - 1; i += 1) expect((await signInOnce('wrong')).status).to.equal(401);
    expect((await signInOnce(user.password)).status).to.equal(200);
    for (let i = 0; i < MAX_FAILURES - 1; i += 1) expect((await signInOnce('wrong')).status).to.equal(401);
    expect((await signInOnce(user.password)).status, 'not locked: the count started again').to.equal(200);
  });

  describe('with the lockout window set by the operator (LATCHKEY_LOGIN_LOCKOUT=2s)', () => {
    let short: TestServer;
    before(async () => { short = await startServer({ env: { LATCHKEY_LOGIN_LOCKOUT: '2s' } }); });
    after(() => short.stop({ removeData: true }));

    it('locks for that long, says so, and lets the right password in once it has passed', async () => {
      const user = await short.createUser('Window Co');
      const browser = new Browser();
      const signInOnce = (password: string) => portalSignIn(browser, short.issuer, user.email, password);
      for (let i = 0; i < MAX_FAILURES; i += 1) expect((await signInOnce('wrong')).status).to.equal(401);
      const locked = await signInOnce(user.password);
      expect(locked.status).to.equal(429);
      expect(message(locked)).to.equal(lockedOut(2)).and.include('2 seconds');
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await signInOnce(user.password)).status, 'the window has passed').to.equal(200);
    });
  });
});
