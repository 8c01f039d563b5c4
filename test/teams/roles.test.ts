// What each role may and may not do, through the portal's forms and through /v1 with a portal
// session (issue 23): one table of roles × actions, driven over HTTP against the real server. Also:
// the last owner stays, a removed member's session is refused at once, a viewer never receives a
// secret, and a member's consent gives tokens for the member's account.
import { expect } from 'chai';
import type { Role } from '../../config/roles.ts';
import { ROLES } from '../../config/roles.ts';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorize, authorizeAndExchange, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

type Member = Awaited<ReturnType<TestServer['createUser']>>;
interface Signed { readonly member: Member; readonly browser: Browser; readonly csrf: string; readonly home: Page }

/** Each action, and the roles that may do it. */
const ACTIONS: readonly { name: string; allowed: readonly Role[]; run: (s: Signed, server: TestServer) => Promise<number> }[] = [
  { name: 'list API keys (/v1)', allowed: ROLES, run: (s, server) => api(s, server, 'GET', '/v1/api-keys') },
  { name: 'create a test API key (/v1)', allowed: ['owner', 'admin', 'developer'], run: (s, server) => api(s, server, 'POST', '/v1/api-keys', { environment: 'test', scopes: ['read:contacts'] }) },
  { name: 'register a test service client (/v1)', allowed: ['owner', 'admin', 'developer'], run: (s, server) => api(s, server, 'POST', '/v1/clients', { environment: 'test', name: 'Role App', type: 'service', scopes: ['read:contacts'] }) },
  { name: 'list members (/v1)', allowed: ROLES, run: (s, server) => api(s, server, 'GET', '/v1/members') },
  { name: 'invite a developer (/v1)', allowed: ['owner', 'admin'], run: (s, server) => api(s, server, 'POST', '/v1/members/invitations', { email: `dev.${Date.now()}.${Math.random()}@example.com`, role: 'developer' }) },
  { name: 'invite an owner (/v1)', allowed: ['owner'], run: (s, server) => api(s, server, 'POST', '/v1/members/invitations', { email: `own.${Date.now()}.${Math.random()}@example.com`, role: 'owner' }) },
  { name: 'create a test API key (portal)', allowed: ['owner', 'admin', 'developer'], run: async (s) => {
    const answer = await s.browser.submit(form(pageOf(await s.browser.navigate(new URL('/portal/keys/new', s.home.url).href, 'nowhere:')), '/portal/keys'), { name: 'role key', environment: 'test', scopes: 'read:contacts' }, 'nowhere:');
    return pageOf(answer).status;
  } },
  { name: 'see the team page (portal)', allowed: ROLES, run: async (s, server) => (await s.browser.request(`${server.issuer}/portal/team`)).status },
  { name: 'invite a viewer (portal)', allowed: ['owner', 'admin'], run: async (s, server) => {
    const answer = await s.browser.request(`${server.issuer}/portal/team/invitations`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf, email: `view.${Date.now()}.${Math.random()}@example.com`, role: 'viewer' }).toString(),
    });
    return answer.status === 303 ? 200 : answer.status;
  } },
];

async function api(s: Signed, server: TestServer, method: string, path: string, body?: unknown): Promise<number> {
  const answer = await s.browser.request(`${server.issuer}${path}`, {
    method, headers: { accept: 'application/json', 'content-type': 'application/json', ...(method === 'GET' ? {} : { 'x-csrf-token': s.csrf }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return answer.status;
}

describe('roles through the portal and the API', function () {
  this.timeout(30_000);
  let server: TestServer;
  let owner: Member;
  const signed = new Map<Role, Signed>();

  /** A partner's web app, registered by another account. */
  const appAccount = new Map<string, string>();
  async function webApp(): Promise<WebApp> {
    const redirectUri = 'http://localhost:8770/callback';
    const created = await server.createClient({ name: 'Marketplace App', type: 'web', scopes: 'read:contacts', redirectUris: [redirectUri] });
    appAccount.set(created.clientId, created.accountId);
    return { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  }

  async function signIn(member: Member): Promise<Signed> {
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, member);
    return { member, browser, home, csrf: form(home, '/portal/logout').fields._csrf! };
  }

  before(async () => {
    server = await startServer();
    owner = await server.createUser('Role Table Co');
    signed.set('owner', await signIn(owner));
    for (const role of ['admin', 'developer', 'viewer'] as const) signed.set(role, await signIn(await server.addMember(owner.accountId, role)));
  });
  after(() => server?.stop({ removeData: true }));

  for (const action of ACTIONS) {
    it(`${action.name}: ${action.allowed.join(', ')} only`, async () => {
      for (const role of ROLES) {
        const status = await action.run(signed.get(role)!, server);
        const allowed = status < 300;
        expect(allowed, `${role}: ${action.name} answered ${status}`).to.equal(action.allowed.includes(role));
        if (!allowed) expect(status, `${role}: refused as forbidden`).to.equal(403);
      }
    });
  }

  it('a viewer never receives a secret: refused creations, and no secret in any list', async () => {
    const viewer = signed.get('viewer')!;
    const answer = await viewer.browser.request(`${server.issuer}/v1/clients`, {
      method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': viewer.csrf },
      body: JSON.stringify({ environment: 'test', name: 'Viewer App', type: 'service', scopes: ['read:contacts'] }),
    });
    expect(answer.status).to.equal(403);
    const { error } = JSON.parse(answer.html) as { error: { code: string; message: string } & Record<string, unknown> };
    expect(error.code).to.equal('forbidden');
    expect(error.message).to.include('your role (viewer)');
    expect(JSON.stringify(error), 'the refusal names the role').to.include('"role":"viewer"');
    for (const path of ['/portal', '/portal/apps', '/portal/team', '/v1/api-keys', '/v1/clients', '/v1/members']) {
      const page = await viewer.browser.request(`${server.issuer}${path}`, { headers: { accept: path.startsWith('/v1') ? 'application/json' : 'text/html' } });
      expect(page.status, path).to.equal(200);
      expect(page.html, path).not.to.match(/sk_(test|live)_[0-9A-Za-z]{20,}|"client_secret"|"key":/);
    }
  });

  it('keeps the last owner: no demotion, no removal, by anyone', async () => {
    const solo = await server.createUser('Solo Owner Co');
    const me = await signIn(solo);
    const demote = await me.browser.request(`${server.issuer}/v1/members/${solo.userId}`, {
      method: 'PATCH', headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: JSON.stringify({ role: 'admin' }),
    });
    expect(demote.status).to.equal(409);
    expect(demote.html).to.include('at least one owner');
    const remove = await me.browser.request(`${server.issuer}/v1/members/${solo.userId}`, {
      method: 'DELETE', headers: { accept: 'application/json', 'x-csrf-token': me.csrf },
    });
    expect(remove.status).to.equal(409);
    expect((await server.latchkey.store.findUser(solo.userId))?.role).to.equal('owner');
  });

  it('a removed member is refused on their next request, and what they created keeps working', async () => {
    const leaving = await signIn(await server.addMember(owner.accountId, 'developer'));
    const created = await leaving.browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': leaving.csrf },
      body: JSON.stringify({ environment: 'test', scopes: ['read:contacts'], name: 'left behind' }),
    });
    const key = JSON.parse(created.html) as { id: string; key: string };
    const app = await webApp();
    await authorize(app, leaving.member, { scope: 'read:contacts', browser: leaving.browser });
    const ownerSession = signed.get('owner')!;
    const removed = await ownerSession.browser.request(`${server.issuer}/v1/members/${leaving.member.userId}`, {
      method: 'DELETE', headers: { accept: 'application/json', 'x-csrf-token': ownerSession.csrf },
    });
    expect(removed.status).to.equal(200);
    expect(JSON.parse(removed.html)).to.deep.include({ removed: true, still_working: { api_keys: [key.id], clients: [] } });
    expect((await leaving.browser.request(`${server.issuer}/portal`)).status, 'the portal signs them out').to.equal(303);
    expect((await leaving.browser.request(`${server.issuer}/v1/api-keys`, { headers: { accept: 'application/json' } })).status).to.equal(401);
    const { url } = await startAuthorization(app, 'read:contacts');
    const again = pageOf(await leaving.browser.navigate(url.href, app.redirectUri));
    expect(again.html, `the authorization server's session ended too: ${again.status} ${again.html.slice(0, 1200)}`).to.match(/name="password"/);
    const use = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(use.status, 'the key belongs to the account and still works').to.equal(200);
  });

  it('a member\'s consent gives an app tokens for the member\'s account', async () => {
    const developer = signed.get('developer')!.member;
    const app = await webApp();
    const { tokens } = await authorizeAndExchange(app, developer, { scope: 'read:contacts' });
    const claims = await verifyAccessToken(app.as, tokens.access_token);
    expect(claims.sub).to.equal(developer.userId);
    expect(claims.account_id).to.equal(owner.accountId).and.not.equal(appAccount.get(app.clientId));
  });
});
