// OAuth apps in the portal, over HTTP as a browser sends them: real multipart bodies (FormData),
// the session cookie, the CSRF field, redirects followed by hand (post/redirect/get).
import { expect } from 'chai';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { NON_CONSENT_SCOPE_NAMES } from '../../config/scopes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

interface Answer { status: number; location: string; html: string; headers: Headers }

/** A signed-in portal user: keeps the cookies, never follows redirects by itself. */
class Portal {
  readonly #cookies = new Map<string, string>();
  csrf = '';
  readonly issuer: string;
  constructor(issuer: string) { this.issuer = issuer; }

  async send(path: string, init: { body?: FormData | URLSearchParams | string; type?: string } = {}): Promise<Answer> {
    const response = await fetch(new URL(path, this.issuer), {
      method: init.body === undefined ? 'GET' : 'POST', body: init.body, redirect: 'manual',
      headers: {
        accept: 'text/html', cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(init.type ? { 'content-type': init.type } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return { status: response.status, location: response.headers.get('location') ?? '', html: await response.text(), headers: response.headers };
  }

  static async signIn(issuer: string, user: { email: string; password: string }): Promise<Portal> {
    const portal = new Portal(issuer);
    const login = await portal.send('/portal/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.html)![1]!;
    const home = await portal.send('/portal/login', { body: new URLSearchParams({ _csrf: csrf, email: user.email, password: user.password }) });
    expect(home.status, 'signed in').to.equal(303);
    portal.csrf = /name="_csrf" value="([^"]+)"/.exec((await portal.send('/portal/apps')).html)![1]!;
    return portal;
  }

  /** The register form's body: what a browser sends for these fields. */
  form(fields: Record<string, string | string[]>, logo?: { bytes: Buffer; type: string; name: string }): FormData {
    const body = new FormData();
    body.set('_csrf', this.csrf);
    for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
    body.set('logo', logo ? new File([logo.bytes], logo.name, { type: logo.type }) : new File([], '', { type: 'application/octet-stream' }));
    return body;
  }

  /** Registers an app; returns its id and the secret shown once on the page the redirect leads to. */
  async register(fields: Record<string, string | string[]>, logo?: { bytes: Buffer; type: string; name: string }) {
    const created = await this.send('/portal/apps', { body: this.form(fields, logo) });
    expect(created.status, created.html.slice(0, 2000)).to.equal(303);
    const id = /^\/portal\/apps\/([^/?]+)$/.exec(created.location)![1]!;
    const page = await this.send(created.location);
    return { id, page, secret: shownSecret(page) };
  }

  async post(path: string, fields: Record<string, string> = {}): Promise<Answer> {
    return this.send(path, { body: new URLSearchParams({ _csrf: this.csrf, ...fields }) });
  }
}

function shownSecret(page: Answer): string {
  const secret = /<code id="client-secret"[^>]*>([^<]+)<\/code>/.exec(page.html)?.[1] ?? '';
  recordSecret(secret || undefined);
  return secret;
}

const SERVICE = { type: 'service', name: 'Nightly export', scopes: ['read:contacts', 'read:events'], environment: 'test' };
const WEB = {
  type: 'web', name: 'CRM Sync', homepage_url: 'https://crm.example.com', redirect_uris: 'https://crm.example.com/cb\nhttp://localhost:8080/cb',
  scopes: ['openid', 'offline_access', 'read:contacts'], environment: 'test',
};

describe('the portal: OAuth apps', () => {
  let server: TestServer;
  let portal: Portal;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    server = await startServer();
    user = await server.createUser('Apps Co');
    portal = await Portal.signIn(server.issuer, user);
  });
  after(() => server.stop({ removeData: true }));

  async function tokenStatus(clientId: string, secret: string): Promise<number> {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read:contacts' }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('says what to do when the account has no app yet', async () => {
    const other = await Portal.signIn(server.issuer, await server.createUser('Empty Co'));
    const list = await other.send('/portal/apps');
    expect(list.status).to.equal(200);
    expect(list.html).to.include('You have not registered an app yet').and.include('href="/portal/apps/new"');
  });

  it('offers the scopes each type may hold, non-consentable ones never to web apps', async () => {
    const web = await portal.send('/portal/apps/new?type=web');
    const service = await portal.send('/portal/apps/new?type=service');
    expect(web.html).to.include('enctype="multipart/form-data"').and.include('name="_csrf"').and.include('value="offline_access"');
    for (const scope of NON_CONSENT_SCOPE_NAMES) {
      expect(web.html).not.to.include(`value="${scope}"`);
      expect(service.html).to.include(`value="${scope}"`);
    }
    expect(service.html).not.to.include('name="redirect_uris"');
  });

  it('registers a service client whose secret is shown once and works at /token', async () => {
    const { id, page, secret } = await portal.register(SERVICE);
    expect(id).to.match(/^client_test_/);
    expect(secret).to.have.length.greaterThan(30);
    expect(page.html).to.include('Shown only once').and.include(id);
    expect(await tokenStatus(id, secret)).to.equal(200);
    const again = await portal.send(`/portal/apps/${id}`);
    expect(again.html, 'shown only once').not.to.include(secret);
    expect(again.html).to.include(`…${secret.slice(-4)}`);
    const list = await portal.send('/portal/apps');
    expect(list.html).to.include('Nightly export').and.include('badge-test').and.include('Service client');
  });

  it('registers a web app with an uploaded PNG logo served from /logos/<id>', async () => {
    const { id, secret } = await portal.register(WEB, { bytes: PNG, type: 'image/png', name: 'logo.png' });
    expect(secret).not.to.equal('');
    const record = (await server.latchkey.store.findClient(id))!;
    expect(record.redirectUris).to.deep.equal(['https://crm.example.com/cb', 'http://localhost:8080/cb']);
    expect(record.homepageUrl).to.equal('https://crm.example.com/');
    const list = await portal.send('/portal/apps');
    const src = new RegExp(`src="(/logos/${id}[^"]*)"`).exec(list.html)?.[1];
    expect(src, 'the list shows the logo').to.be.a('string');
    const logo = await fetch(new URL(src!.replace(/&amp;/g, '&'), server.issuer));
    expect(logo.status).to.equal(200);
    expect(logo.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await logo.arrayBuffer()).equals(PNG)).to.equal(true);
  });

  it('shows refused fields with their errors and keeps what was entered', async () => {
    const before = (await server.latchkey.store.listClients(user.accountId)).length;
    const answer = await portal.send('/portal/apps', { body: portal.form({ ...WEB, name: 'Kept name', redirect_uris: 'http://evil.example.com/cb', scopes: [] }) });
    expect(answer.status).to.equal(400);
    expect(answer.html).to.match(/id="redirect_uris-error">[^<]*https/);
    expect(answer.html).to.match(/id="scopes-error">[^<]+/);
    expect(answer.html).to.include('value="Kept name"').and.include('http://evil.example.com/cb').and.include('value="https://crm.example.com"');
    expect(answer.html).to.include('aria-invalid="true"');
    expect((await server.latchkey.store.listClients(user.accountId)).length, 'nothing registered').to.equal(before);
  });

  it('asks for an extra confirmation before registering a live app', async () => {
    const refused = await portal.send('/portal/apps', { body: portal.form({ ...SERVICE, environment: 'live' }) });
    expect(refused.status).to.equal(400);
    expect(refused.html).to.match(/id="live_confirmed-error">[^<]+/);
    const { id } = await portal.register({ ...SERVICE, environment: 'live', live_confirmed: 'yes' });
    expect(id).to.match(/^client_live_/);
  });

  it('refuses an SVG logo and one over the size limit on the logo field', async () => {
    const svg = await portal.send('/portal/apps', { body: portal.form(WEB, { bytes: SVG, type: 'image/svg+xml', name: 'logo.svg' }) });
    expect(svg.status).to.equal(400);
    expect(svg.html).to.match(/id="logo-error">[^<]*SVG/);
    const big = Buffer.concat([PNG, Buffer.alloc(LIMITS.logoMaxBytes)]);
    const large = await portal.send('/portal/apps', { body: portal.form(WEB, { bytes: big, type: 'image/png', name: 'big.png' }) });
    expect(large.status).to.equal(400);
    expect(large.html).to.match(new RegExp(`id="logo-error">[^<]*${LIMITS.logoMaxBytes / 1024} KB`));
    expect(large.html).to.include('value="CRM Sync"');
  });

  it('refuses a logo URL it must not fetch on the logo field, keeping the URL', async () => {
    const answer = await portal.send('/portal/apps', { body: portal.form({ ...WEB, logo_url: 'http://169.254.169.254/logo.png' }) });
    expect(answer.status).to.equal(400);
    expect(answer.html).to.match(/id="logo_url-error">[^<]+/);
    expect(answer.html).to.include('value="http://169.254.169.254/logo.png"');
  });

  it('edits name, redirect URIs and scopes, and removes the logo', async () => {
    const { id } = await portal.register(WEB, { bytes: PNG, type: 'image/png', name: 'logo.png' });
    const saved = await portal.send(`/portal/apps/${id}`, {
      body: portal.form({ name: 'CRM Sync 2', homepage_url: 'https://crm2.example.com', redirect_uris: 'https://crm2.example.com/cb', scopes: ['openid', 'read:contacts'], remove_logo: 'yes' }),
    });
    expect(saved.status).to.equal(303);
    expect(saved.location).to.equal(`/portal/apps/${id}?saved=1`);
    const record = (await server.latchkey.store.findClient(id))!;
    expect(record).to.include({ name: 'CRM Sync 2', homepageUrl: 'https://crm2.example.com/', logoDigest: undefined });
    expect(record.scopes).to.deep.equal(['openid', 'read:contacts']);
    expect(record.redirectUris).to.deep.equal(['https://crm2.example.com/cb']);
    expect((await portal.send(saved.location)).html).to.include('Changes saved').and.include('CRM Sync 2');

    const refused = await portal.send(`/portal/apps/${id}`, { body: portal.form({ name: '', redirect_uris: 'https://crm2.example.com/cb', scopes: ['openid'] }) });
    expect(refused.status).to.equal(400);
    expect(refused.html).to.match(/id="name-error">[^<]+/);
    expect((await server.latchkey.store.findClient(id))!.name, 'unchanged').to.equal('CRM Sync 2');
  });

  it('rotates with an overlap (both secrets work), then with none after a confirmation (the old one is refused)', async () => {
    const { id, secret: first } = await portal.register(SERVICE);
    const rotated = await portal.post(`/portal/apps/${id}/rotate`, { overlap: '1h' });
    expect(rotated.status).to.equal(303);
    expect(rotated.location).to.equal(`/portal/apps/${id}`);
    const second = shownSecret(await portal.send(rotated.location));
    expect(second).to.have.length.greaterThan(30).and.not.equal(first);
    expect(await tokenStatus(id, first), 'old secret, in its overlap').to.equal(200);
    expect(await tokenStatus(id, second)).to.equal(200);

    const ask = await portal.post(`/portal/apps/${id}/rotate`, { overlap: '0' });
    expect(ask.status).to.equal(303);
    const confirm = await portal.send(ask.location);
    expect(confirm.html).to.include('Nightly export').and.include(`action="/portal/apps/${id}/rotate-now"`);
    expect(await tokenStatus(id, second), 'asking changed nothing').to.equal(200);
    const now = await portal.post(`/portal/apps/${id}/rotate-now`);
    expect(now.status).to.equal(303);
    const third = shownSecret(await portal.send(now.location));
    expect(await tokenStatus(id, second), 'no overlap').to.equal(401);
    // With no overlap, every earlier secret stops, also one still in an earlier overlap.
    expect(await tokenStatus(id, first), 'no overlap: the earlier overlapping one stops too').to.equal(401);
    expect(await tokenStatus(id, third)).to.equal(200);
  });

  it('stops one overlapping secret now from the app page; the current one keeps working', async () => {
    const { id, secret: first } = await portal.register(SERVICE);
    await portal.post(`/portal/apps/${id}/rotate`, { overlap: '24h' });
    const page = await portal.send(`/portal/apps/${id}`);
    const second = shownSecret(page);
    const action = new RegExp(`action="(/portal/apps/${id}/secrets/[^"]+/revoke)"`).exec(page.html)?.[1];
    expect(action, 'a Stop it now button for the overlapping secret').to.be.a('string');
    const stopped = await portal.post(action!);
    expect(stopped.status).to.equal(303);
    expect(await tokenStatus(id, first), 'stopped').to.equal(401);
    expect(await tokenStatus(id, second)).to.equal(200);
  });

  it('reports the current secret as leaked: every older secret dies', async () => {
    const { id, secret: first } = await portal.register(SERVICE);
    await portal.post(`/portal/apps/${id}/rotate`, { overlap: '24h' });
    const second = shownSecret(await portal.send(`/portal/apps/${id}`));
    expect((await portal.send(`/portal/apps/${id}/leaked`)).html).to.include('Nightly export').and.include('leaked');
    const leaked = await portal.post(`/portal/apps/${id}/leaked`);
    expect(leaked.status).to.equal(303);
    const third = shownSecret(await portal.send(leaked.location));
    expect(await tokenStatus(id, first)).to.equal(401);
    expect(await tokenStatus(id, second)).to.equal(401);
    expect(await tokenStatus(id, third)).to.equal(200);
    expect((await portal.send(`/portal/apps/${id}`)).html).to.include('reported leaked');
  });

  it('deletes an app after a confirmation naming it and what happens to its tokens', async () => {
    const { id, secret } = await portal.register({ ...SERVICE, name: 'Doomed service' });
    const confirm = await portal.send(`/portal/apps/${id}/delete`);
    expect(confirm.html).to.include('Doomed service').and.include(humanDuration(LIFETIMES.accessToken));
    const deleted = await portal.post(`/portal/apps/${id}/delete`);
    expect(deleted).to.include({ status: 303, location: '/portal/apps?deleted=1' });
    expect(await server.latchkey.store.findClient(id)).to.equal(undefined);
    expect(await tokenStatus(id, secret)).to.equal(401);
    expect((await portal.send(`/portal/apps/${id}`)).status).to.equal(404);
  });

  it('answers malformed bodies with a clear error, never a 500', async () => {
    const urlencoded = await portal.send('/portal/apps', { body: new URLSearchParams({ _csrf: portal.csrf, name: 'x' }) });
    expect(urlencoded.status).to.equal(415);
    const noBoundary = await portal.send('/portal/apps', { body: 'x', type: 'multipart/form-data' });
    expect(noBoundary.status).to.equal(400);
    const cut = `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${portal.csrf}\r\n--b\r\ncontent-disposition: form-data; name="name"\r\n\r\nCut`;
    const truncated = await portal.send('/portal/apps', { body: cut, type: 'multipart/form-data; boundary=b' });
    expect(truncated.status, 'a body cut short').to.equal(400);
    expect(truncated.html).to.include('malformed');
    const twice = portal.form(SERVICE);
    twice.append('name', 'Second name');
    const duplicate = await portal.send('/portal/apps', { body: twice });
    expect(duplicate.status).to.equal(400);
    expect(duplicate.html).to.include('appears more than once');
    const huge = await portal.send('/portal/apps', { body: portal.form(WEB, { bytes: Buffer.alloc(12 * 1024 * 1024), type: 'image/png', name: 'huge.png' }) });
    expect(huge.status, 'far beyond every limit').to.equal(413);
  });

  it('refuses a form without the session CSRF token', async () => {
    const before = (await server.latchkey.store.listClients(user.accountId)).length;
    const body = portal.form(SERVICE);
    body.set('_csrf', 'forged');
    expect((await portal.send('/portal/apps', { body })).status).to.equal(403);
    expect((await server.latchkey.store.listClients(user.accountId)).length).to.equal(before);
    const { id, secret } = await portal.register(SERVICE);
    const forged = await portal.send(`/portal/apps/${id}/rotate-now`, { body: new URLSearchParams({ _csrf: 'forged' }) });
    expect(forged.status).to.equal(403);
    expect(await tokenStatus(id, secret), 'not rotated').to.equal(200);
  });

  it("answers another account's app with a styled 404 on every route", async () => {
    const stranger = await Portal.signIn(server.issuer, await server.createUser('Stranger Co'));
    const { id, secret } = await portal.register(SERVICE);
    const page = await stranger.send(`/portal/apps/${id}`);
    expect(page.status).to.equal(404);
    expect(page.headers.get('content-type')).to.include('text/html');
    expect(page.html).to.include('</a>');
    for (const path of [`/portal/apps/${id}/rotate-now`, `/portal/apps/${id}/leaked`, `/portal/apps/${id}/delete`]) {
      expect((await stranger.post(path)).status, path).to.equal(404);
    }
    expect((await stranger.send(`/portal/apps/${id}`, { body: stranger.form({ name: 'Taken' }) })).status).to.equal(404);
    expect(await tokenStatus(id, secret)).to.equal(200);
    expect((await server.latchkey.store.findClient(id))!.name).to.equal('Nightly export');
  });
});
