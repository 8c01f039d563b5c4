// The account's own events in its audit log (issue 22, item 8): sign-ins on either sign-in page and
// failed ones, with the address and user agent they came from, shown in plain words; failed
// sign-ins recorded at a bounded rate, so that guessing from many networks cannot bury the log.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { LIMITS } from '../../config/limits.ts';
import { recordFailedSignIn } from '../../server/accounts/account-events.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const rows = (html: string) => [...html.matchAll(/<tr class="audit-row" id="[^"]+">([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));

describe('account events in the audit log', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8769/callback';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({ name: 'Audit App', type: 'web', scopes: 'openid read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server?.stop({ removeData: true }));

  it('records a failed and a good sign-in at the authorization server, with address and browser', async () => {
    const user = await server.createUser('Audited Sign-In Co');
    const browser = new Browser({ userAgent: FIREFOX });
    const { url } = await startAuthorization(app, 'openid read:contacts');
    const login = pageOf(await browser.navigate(url.href, redirectUri));
    const wrong = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: 'not the password at all' }, redirectUri));
    expect(wrong.status).to.equal(401);
    await browser.submit(Browser.forms(wrong)[0]!, { email: user.email, password: user.password }, redirectUri);

    const events = await server.latchkey.store.listAuditEvents(user.accountId, 10);
    const [signedIn, failed] = events;
    expect(signedIn).to.include({ action: 'user.signed_in', actor: `user:${user.userId}`, targetId: user.userId });
    expect(signedIn!.detail).to.deep.equal({ method: 'pwd', address: '127.0.0.1', user_agent: FIREFOX });
    expect(failed).to.include({ action: 'user.sign_in_failed' });
    expect(failed!.detail).to.include({ why: 'wrong password', address: '127.0.0.1', user_agent: FIREFOX });

    const page = pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:'));
    const [first, second] = rows(page.html);
    expect(first).to.include('Signed in').and.include('With password').and.include('127.0.0.1, Firefox on Linux').and.include(user.email);
    expect(second).to.include('Sign-in failed').and.include('Wrong password.');
  });

  it('records nothing for an address with no account, and answers the same', async () => {
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const answer = pageOf(await browser.submit(form(login, '/portal/login'), { email: 'nobody-here@example.com', password: 'whatever it is' }, 'nowhere:'));
    expect(answer.status).to.equal(401);
    expect(await server.latchkey.store.findUserByEmail('nobody-here@example.com')).to.equal(undefined);
  });

  it('records failed sign-ins up to the hourly bound, says so on the last, then stops', async () => {
    const user = await server.createUser('Guessed At Co');
    const stored = (await server.latchkey.store.findUser(user.userId))!;
    const origin = { address: '198.51.100.7', userAgent: 'curl/8.5.0' };
    for (let n = 0; n < LIMITS.failedSignInEventsPerHour + 5; n += 1) await recordFailedSignIn(server.latchkey.store, stored, origin, 'password');
    const failed = (await server.latchkey.store.listAuditEvents(user.accountId, 100)).filter((e) => e.action === 'user.sign_in_failed');
    expect(failed).to.have.length(LIMITS.failedSignInEventsPerHour);
    expect(failed[0]!.detail?.note, 'the newest says the rest go unrecorded').to.equal('further failures this hour are not recorded');
    expect(failed.slice(1).every((e) => e.detail?.note === undefined)).to.equal(true);

    // A good sign-in is always recorded.
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, user);
    const [latest] = await server.latchkey.store.listAuditEvents(user.accountId, 1);
    expect(latest!.action).to.equal('user.signed_in');
  });
});
