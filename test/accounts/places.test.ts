// Sessions a user can see (issue 22, item 7): /portal/security lists the places (browsers) the user
// is signed in from, with user agent, address and times; "Sign out" on another place ends its
// portal session and the authorization-server session started with it, and leaves this one alone.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorize, isPage, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('places a user is signed in from', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8768/callback';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({ name: 'Places App', type: 'web', scopes: 'openid read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server?.stop({ removeData: true }));

  const security = async (browser: Browser): Promise<Page> => pageOf(await browser.navigate(`${server.issuer}/portal/security`, 'nowhere:'));
  const rows = (page: Page) => [...page.html.matchAll(/<tr class="place-row">([\s\S]*?)<\/tr>/g)].map((m) => m[1]!);
  const endForms = (page: Page) => Browser.forms(page).filter((f) => /\/portal\/security\/places\/[^/]+\/end$/.test(new URL(f.action).pathname));
  async function asksForPassword(browser: Browser): Promise<boolean> {
    const { url } = await startAuthorization(app, 'openid read:contacts');
    const step = await browser.navigate(url.href, redirectUri);
    return isPage(step) && /name="password"/.test(step.html);
  }

  it('lists each browser with its user agent and address, and marks this one', async () => {
    const user = await server.createUser('Two Browsers Co');
    const laptop = new Browser({ userAgent: FIREFOX });
    const phone = new Browser({ userAgent: SAFARI });
    await signInToPortal(laptop, server.issuer, user);
    await signInToPortal(phone, server.issuer, user);
    const page = await security(laptop);
    const listed = rows(page);
    expect(listed).to.have.length(2);
    const mine = listed.find((row) => row.includes('This browser'))!;
    expect(mine).to.include('Firefox on Linux').and.include(FIREFOX).and.include('127.0.0.1');
    expect(listed.find((row) => !row.includes('This browser'))).to.include('Safari on iOS');
    expect(endForms(page), 'a sign-out button for the other place only').to.have.length(1);
  });

  it('signing out another place ends its portal and authorization-server sessions, and only those', async () => {
    const user = await server.createUser('Lost Phone Co');
    const { browser: phone } = await authorize(app, user, { scope: 'openid read:contacts', browser: new Browser({ userAgent: SAFARI }) });
    expect(await asksForPassword(phone), 'the phone is signed in at the authorization server').to.equal(false);
    const laptop = new Browser({ userAgent: FIREFOX });
    await signInToPortal(laptop, server.issuer, user);

    const page = await security(laptop);
    const [end] = endForms(page);
    const done = pageOf(await laptop.submit(end!, {}, 'nowhere:'));
    expect(done.html).to.include('That browser is signed out.');
    expect(rows(done)).to.have.length(1);

    expect((await phone.request(`${server.issuer}/portal/security`)).status, 'the phone left the portal').to.equal(303);
    expect(await asksForPassword(phone), 'the phone must sign in again for an app').to.equal(true);
    expect((await laptop.request(`${server.issuer}/portal/security`)).status, 'the laptop stays').to.equal(200);
    expect(await asksForPassword(laptop), 'and keeps its authorization-server sign-in').to.equal(false);
  });

  it('refuses to end a place without the form\'s token, and ignores a place that is not the user\'s', async () => {
    const user = await server.createUser('Careful Co');
    const other = await server.createUser('Someone Else Co');
    const mine = new Browser({ userAgent: FIREFOX });
    const theirs = new Browser({ userAgent: SAFARI });
    await signInToPortal(mine, server.issuer, user);
    await signInToPortal(theirs, server.issuer, other);
    expect(endForms(await security(mine)), 'another user\'s browser is not listed').to.have.length(0);

    // Another user's place id, posted with this user's token: nothing happens to it.
    const second = new Browser({ userAgent: FIREFOX });
    await signInToPortal(second, server.issuer, other);
    const [otherEnd] = endForms(await security(second));
    const ownForm = form(await security(mine), '/portal/logout-everywhere');
    const forged = await mine.request(otherEnd!.action, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: ownForm.fields._csrf! }).toString(),
    });
    expect(forged.status).to.equal(303);
    expect((await theirs.request(`${server.issuer}/portal/security`)).status, 'the other user\'s browser stays signed in').to.equal(200);

    const noToken = await mine.request(otherEnd!.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(noToken.status).to.equal(403);
  });
});
