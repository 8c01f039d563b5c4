// "Sign out everywhere" ends every session of the user, the authorization server's login sessions
// included (finding M3): another browser that signed in at /auth must sign in again before it can
// approve anything. Grants and refresh tokens survive a sign-out. Discovery names an
// end_session_endpoint (RP-Initiated Logout) for the calling browser's own session.
import { expect } from 'chai';
import { Browser, pageOf, type Form, type Page } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const redirectUri = 'http://localhost:8765/callback';
const formTo = (page: Page, path: string): Form => Browser.forms(page).find((f) => new URL(f.action, 'http://x').pathname === path)!;

describe('sign out everywhere (M3)', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  async function webApp(accountId: string): Promise<WebApp> {
    const created = await server.createClient({
      accountId, name: 'Some app', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri],
    });
    return { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  }

  it('ends the login session another browser holds at the authorization server; grants and refresh tokens survive', async () => {
    const user = await server.createUser('Everywhere AS Co');
    const other = new Browser();
    const firstApp = await webApp(user.accountId);
    const first = await authorizeAndExchange(firstApp, user, { scope: 'offline_access read:contacts', browser: other });
    recordSecret(first.tokens.refresh_token);

    // The portal, in this browser: sign out everywhere.
    const portal = new Browser();
    const login = pageOf(await portal.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const home = pageOf(await portal.submit(formTo(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    const out = formTo(home, '/portal/logout-everywhere');
    const answer = await portal.request(new URL(out.action, server.issuer).href, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(out.fields).toString(),
    });
    expect(answer.status).to.equal(303);

    // The other browser asks a new app for access: the password is asked again.
    const second = await webApp(user.accountId);
    const { url } = await startAuthorization(second, 'offline_access read:contacts');
    const page = pageOf(await other.navigate(url.href, redirectUri));
    expect(page.html, 'the sign-in form, not the consent page').to.match(/name="password"/);

    // The first app's grant lives on.
    const next = await refresh(firstApp, first.tokens.refresh_token!);
    expect(next.refresh_token).to.be.a('string');
    recordSecret(next.refresh_token);
  });

  it('publishes an end_session_endpoint that ends this browser\'s login session, after asking', async () => {
    const as = await discover(server.issuer);
    expect(as.end_session_endpoint).to.equal(`${server.issuer}/session/end`);
    const user = await server.createUser('Logout Co');
    const browser = new Browser();
    const app = await webApp(user.accountId);
    const granted = await authorizeAndExchange(app, user, { scope: 'offline_access read:contacts', browser });
    recordSecret(granted.tokens.refresh_token);
    const ask = pageOf(await browser.navigate(as.end_session_endpoint!, 'nowhere:'));
    expect(ask.html).to.include('Sign out of Latchkey?').and.include('Connected apps');
    const done = pageOf(await browser.submit(Browser.forms(ask)[0]!, { logout: 'yes' }, 'nowhere:'));
    expect(done.html).to.include('You are signed out');
    const { url } = await startAuthorization(app, 'offline_access read:contacts');
    expect(pageOf(await browser.navigate(url.href, redirectUri)).html, 'signed out: the password is asked').to.match(/name="password"/);
  });
});
