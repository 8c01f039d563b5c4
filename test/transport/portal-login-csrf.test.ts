// The portal's sign-in form before any session exists: its CSRF token is bound to a server key, so
// a cookie and field pair an attacker makes up (say, a cookie planted from a sibling subdomain) fails.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('the portal sign-in form\'s CSRF token', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    server = await startServer();
    user = await server.createUser('CSRF Co');
  });
  after(() => server?.stop({ removeData: true }));

  async function postLogin(cookie: string, csrf: string) {
    const response = await fetch(`${server.issuer}/portal/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie },
      body: new URLSearchParams({ _csrf: csrf, email: user.email, password: user.password }).toString(),
    });
    const json = response.headers.get('content-type')?.includes('json');
    const body = (json ? await response.json() : {}) as { error?: { code: string } };
    return { status: response.status, body, setCookies: response.headers.getSetCookie() };
  }

  /** The name of the cookie the sign-in page sets, and the token its form carries. */
  async function issued() {
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const setCookie = login.headers.getSetCookie()[0]!;
    const [name, value] = setCookie.split(';')[0]!.split('=') as [string, string];
    return { name, value, token: Browser.forms(login)[0]!.fields._csrf! };
  }

  it('does not put the form token in the cookie: the cookie holds a nonce the token is derived from', async () => {
    const { value, token } = await issued();
    expect(token).not.to.equal(value);
  });

  it('refuses a cookie and field pair the attacker made up (403 csrf_failed)', async () => {
    const { name } = await issued();
    const forged = await postLogin(`${name}=attacker-chosen-value-000000000000000000000`, 'attacker-chosen-value-000000000000000000000');
    expect(forged.status).to.equal(403);
    expect(forged.body.error?.code).to.equal('csrf_failed');
    expect(forged.setCookies.join(' ')).not.to.include('latchkey_portal=');
  });

  it('refuses a real token with another browser\'s cookie, and signs in with its own', async () => {
    const mine = await issued();
    const theirs = await issued();
    expect((await postLogin(`${theirs.name}=${theirs.value}`, mine.token)).status).to.equal(403);
    const ok = await postLogin(`${mine.name}=${mine.value}`, mine.token);
    expect(ok.status).to.equal(303);
  });
});
