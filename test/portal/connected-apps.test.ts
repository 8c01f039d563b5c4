// Connected apps in the portal: what a user approved, in plain words, with when it was approved and
// last used; revoking one goes through a page naming the app, and the app's refresh token then fails
// saying the user revoked it while its access token is reported inactive at once.
import { expect } from 'chai';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, introspect, refresh, type WebApp } from '../helpers/flows.ts';
import { discover, expectOAuthError, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const READABLE_DATE = /\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\b/;

/** The text of the page's element with this class (first one), tags stripped. */
function textOf(html: string, className: string): string {
  const match = new RegExp(`<(\\w+)[^>]*class="${className}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return match ? match[2]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() : '';
}

/** The exact instant of the <time> in the element with this class. */
function instantOf(html: string, className: string): number {
  const iso = new RegExp(`class="${className}"><time datetime="([^"]+)"`).exec(html)?.[1];
  expect(iso, `a <time datetime> in .${className}`).to.be.a('string');
  return Date.parse(iso!);
}

describe('portal: connected apps', () => {
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8766/callback';
  const scope = 'offline_access read:contacts read:billing';

  before(async () => {
    server = await startServer();
    const partner = await server.createUser('Ledgerly Ltd');
    const created = await server.createClient({
      accountId: partner.accountId, name: 'Ledgerly Books', type: 'web', scopes: 'offline_access read:contacts read:billing', redirectUris: [redirectUri],
    });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server.stop({ removeData: true }));

  async function signedInPortal(user: { email: string; password: string }): Promise<Browser> {
    const portal = new Browser();
    const login = pageOf(await portal.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await portal.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, 'nowhere:'));
    return portal;
  }

  async function connectedAppsPage(portal: Browser): Promise<Page> {
    const page = pageOf(await portal.navigate(`${server.issuer}/portal/connected-apps`, 'nowhere:'));
    expect(page.status).to.equal(200);
    return page;
  }

  async function grantIdOf(accessToken: string): Promise<string> {
    return String((await verifyAccessToken(app.as, accessToken)).grant_id);
  }

  /** One app's entry on the list page. */
  function entry(page: Page, grantId: string): string {
    const match = new RegExp(`<li id="${grantId}"[\\s\\S]*?</form>`).exec(page.html);
    expect(match, `an entry for grant ${grantId}`).to.not.equal(null);
    return match![0];
  }

  it('says what an empty list means and what to do', async () => {
    const page = await connectedAppsPage(await signedInPortal(await server.createUser('Empty Co')));
    expect(page.html).to.include('No app is connected to your account');
    expect(page.html).to.match(/approve an app/i);
  });

  it('lists the app with its organisation, scopes in plain words, approval and last use', async () => {
    const customer = await server.createUser('Listing Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    const portal = await signedInPortal(customer);

    const before = entry(await connectedAppsPage(portal), grantId);
    expect(textOf(before, 'app-title')).to.equal('Ledgerly Books');
    expect(textOf(before, 'app-meta')).to.include('by Ledgerly Ltd');
    const words = [...before.matchAll(/<li>([^<]*)<code>([^<]*)<\/code>/g)].map((m) => [m[1]!.trim(), m[2]]);
    expect(words).to.deep.equal([
      ['See your contacts', 'read:contacts'],
      ['See your invoices and subscriptions', 'read:billing'],
      ['Keep access when you are not using the app', 'offline_access'],
    ]);
    expect(textOf(before, 'approved')).to.match(READABLE_DATE);
    expect(textOf(before, 'last-used'), 'the first refresh token counts as a use').to.match(READABLE_DATE);

    // A refresh moves "last used" to the newest refresh token's issue time (<time datetime> is exact).
    const firstUse = instantOf(before, 'last-used');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refreshedAt = Date.now();
    await refresh(app, tokens.refresh_token!);
    const lastUsed = instantOf(entry(await connectedAppsPage(portal), grantId), 'last-used');
    expect(lastUsed, 'last used after the refresh').to.be.greaterThan(firstUse);
    expect(lastUsed).to.be.within(refreshedAt - 1000, Date.now());
  });

  it('revokes through a page naming the app: refresh then fails saying so, introspection says inactive', async () => {
    const customer = await server.createUser('Revoking Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    expect((await introspect(app, tokens.access_token)).active, 'active before').to.equal(true);
    const portal = await signedInPortal(customer);

    const list = await connectedAppsPage(portal);
    const revokeButton = Browser.forms(list).find((f) => f.action.endsWith(`/portal/connected-apps/${grantId}/revoke`));
    expect(revokeButton, 'a Revoke button for the grant').to.not.equal(undefined);
    const confirm = pageOf(await portal.navigate(revokeButton!.action, 'nowhere:'));
    expect(confirm.status).to.equal(200);
    expect(/<h1>([^<]*)<\/h1>/.exec(confirm.html)?.[1]).to.equal('Revoke Ledgerly Books?');
    const form = Browser.forms(confirm).find((f) => f.action.endsWith(`/portal/connected-apps/${grantId}/revoke`));
    expect(form?.fields._csrf, 'the confirmation posts with the CSRF token').to.be.a('string').and.not.equal('');
    expect((await introspect(app, tokens.access_token)).active, 'showing the page revokes nothing').to.equal(true);

    const posted = await portal.request(form!.action, {
      method: 'POST', body: new URLSearchParams(form!.fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(posted.status).to.equal(303);
    const after = pageOf(await portal.navigate(new URL(posted.headers.get('location')!, server.issuer).href, 'nowhere:'));
    expect(textOf(after.html, 'notice')).to.equal('Ledgerly Books can no longer access your account');
    expect(after.html).to.not.include(`id="${grantId}"`);

    const err = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.equal(GRANT_REVOCATION_REASONS.revoked_by_user.description);
    expect((await introspect(app, tokens.access_token)).active, 'inactive at once').to.equal(false);
  });

  it("answers 404 for another user's grant, on the page and the post, and keeps it", async () => {
    const owner = await server.createUser('Owner Co');
    const { tokens } = await authorizeAndExchange(app, owner, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    // The intruder connects the app too: their own confirmation page gives a valid CSRF token.
    const intruderUser = await server.createUser('Intruder Co');
    const own = await authorizeAndExchange(app, intruderUser, { scope });
    const intruder = await signedInPortal(intruderUser);
    const ownConfirm = pageOf(await intruder.navigate(`${server.issuer}/portal/connected-apps/${await grantIdOf(own.tokens.access_token)}/revoke`, 'nowhere:'));
    const csrf = Browser.forms(ownConfirm).find((f) => f.fields._csrf)?.fields._csrf;
    expect(csrf, "the intruder's own CSRF token").to.be.a('string');
    expect((await connectedAppsPage(intruder)).html).to.not.include(grantId);
    expect((await intruder.request(`${server.issuer}/portal/connected-apps/${grantId}/revoke`)).status).to.equal(404);
    const forged = await intruder.request(`${server.issuer}/portal/connected-apps/${grantId}/revoke`, {
      method: 'POST', body: new URLSearchParams({ _csrf: csrf! }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.status).to.equal(404);
    expect((await introspect(app, tokens.access_token)).active, 'the owner keeps the app').to.equal(true);
  });

  it('refuses a revoke without the CSRF token', async () => {
    const customer = await server.createUser('Csrf Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    const portal = await signedInPortal(customer);
    for (const body of ['', '_csrf=forged']) {
      const refused = await portal.request(`${server.issuer}/portal/connected-apps/${grantId}/revoke`, {
        method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(refused.status, `body "${body}"`).to.be.oneOf([400, 403]);
    }
    expect((await introspect(app, tokens.access_token)).active, 'still connected').to.equal(true);
  });

  it('names in a notice only an app this user just revoked, never one a link names', async () => {
    const customer = await server.createUser('Injected Notice Co');
    const stranger = await server.createClient({ name: 'Totally Legit Support', type: 'service', scopes: 'read:contacts' });
    const portal = await signedInPortal(customer);
    const page = pageOf(await portal.navigate(`${server.issuer}/portal/connected-apps?revoked=${stranger.clientId}`, 'nowhere:'));
    expect(page.html).to.not.include('Totally Legit Support').and.not.include('can no longer access');
  });

  it('does not show a notice for an app the user still has', async () => {
    const customer = await server.createUser('Notice Co');
    await authorizeAndExchange(app, customer, { scope });
    const portal = await signedInPortal(customer);
    const page = pageOf(await portal.navigate(`${server.issuer}/portal/connected-apps?revoked=${app.clientId}`, 'nowhere:'));
    expect(page.html).to.not.include('can no longer access');
  });
});
