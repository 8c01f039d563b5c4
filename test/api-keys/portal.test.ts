// Managing keys as a signed-in user: the portal's real forms, and /v1/api-keys with session + CSRF.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { call } from '../helpers/api.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';

const page = pageOf;

describe('the portal: API keys for a signed-in user', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    server = await startServer();
    user = await server.createUser('Portal Co');
  });
  after(() => server.stop({ removeData: true }));

  async function signIn(browser = new Browser()): Promise<{ browser: Browser; home: Page }> {
    const login = page(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    expect(login.html).to.include('name="password"');
    const home = page(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, 'nowhere:'));
    expect(home.status).to.equal(200);
    expect(home.html).to.include('API keys');
    return { browser, home };
  }

  /** The key a page shows once, after the redirect that follows creating or rolling one. */
  const shownKey = (html: string) => /<code id="new-key"[^>]*>([^<]+)<\/code>/.exec(html)?.[1];

  it('signs in, creates a key shown once after a redirect, rolls and revokes it through confirmation pages', async () => {
    const { browser, home } = await signIn();
    expect(home.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
    const create = Browser.forms(pageOf(await browser.navigate(new URL('/portal/keys/new', home.url).href, 'nowhere:'))).find((f) => f.action.endsWith('/portal/keys'))!;
    const body = new URLSearchParams({ ...create.fields, name: 'Portal key', environment: 'test' });
    body.append('scopes', 'read:contacts');
    body.append('scopes', 'read:events');
    const created = await browser.request(create.action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(created.status).to.equal(303);
    expect(created.html).not.to.match(/sk_test_/);
    expect(created.headers.get('location')).to.match(/^\/portal\?created=key_/).and.not.match(/sk_/);
    const shown = page(await browser.navigate(new URL(created.headers.get('location')!, server.issuer).href, 'nowhere:'));
    const key = shownKey(shown.html)!;
    expect(key).to.match(/^sk_test_/);
    expect((await call(server.issuer, 'GET', '/api/v1/events', key)).status).to.equal(200);

    const listed = page(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    expect(listed.html, 'shown only once').not.to.include(key);
    expect(listed.html).to.include(`sk_test_…${key.slice(-4)}`);

    const rollLink = /href="(\/portal\/keys\/[^"]+\/roll)"/.exec(listed.html)![1]!;
    const confirmRoll = page(await browser.navigate(`${server.issuer}${rollLink}`, 'nowhere:'));
    expect(confirmRoll.html).to.include('Portal key');
    const roll = Browser.forms(confirmRoll).find((f) => f.action.endsWith('/roll'))!;
    const rolled = page(await browser.submit(roll, { overlap: '0' }, 'nowhere:'));
    const next = shownKey(rolled.html)!;
    expect(next).to.match(/^sk_test_/).and.not.equal(key);
    expect((await call(server.issuer, 'GET', '/api/v1/events', key)).status, 'old key, overlap 0').to.equal(401);
    expect((await call(server.issuer, 'GET', '/api/v1/events', next)).status).to.equal(200);

    const afterRoll = page(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    const revokeLink = /href="(\/portal\/keys\/[^"]+\/revoke)"/.exec(afterRoll.html)![1]!;
    const confirmRevoke = page(await browser.navigate(`${server.issuer}${revokeLink}`, 'nowhere:'));
    const revoke = Browser.forms(confirmRevoke).find((f) => f.action.endsWith('/revoke'))!;
    await browser.submit(revoke, { reason: 'done with it' }, 'nowhere:');
    expect((await call(server.issuer, 'GET', '/api/v1/events', next)).status).to.equal(401);
    const record = (await server.latchkey.store.listApiKeys(user.accountId)).find((k) => k.revokedReason === 'done with it');
    expect(record?.createdBy).to.equal(`user:${user.userId}`);
  });

  it('refuses forms without the session\'s CSRF token', async () => {
    const { browser, home } = await signIn();
    const create = Browser.forms(pageOf(await browser.navigate(new URL('/portal/keys/new', home.url).href, 'nowhere:'))).find((f) => f.action.endsWith('/portal/keys'))!;
    const forged = await browser.submit(create, { _csrf: 'forged', environment: 'test', scopes: 'read:contacts' }, 'nowhere:');
    expect(page(forged).status).to.equal(403);
  });

  it('refuses a wrong password with the same message as an unknown email', async () => {
    const browser = new Browser();
    const login = page(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const wrong = page(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: 'nope nope nope' }, 'nowhere:'));
    expect(wrong.status).to.equal(401);
    expect(wrong.html).to.include('Email or password is incorrect.');
  });

  it('sets a strict, HttpOnly session cookie and stores only its hash', async () => {
    const browser = new Browser();
    const login = page(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const form = Browser.forms(login)[0]!;
    const response = await browser.request(form.action, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, email: user.email, password: user.password }).toString(),
    });
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('latchkey_portal='))!;
    expect(cookie).to.match(/httponly/i).and.match(/samesite=lax/i);
    const id = /^latchkey_portal=([^;]+)/.exec(cookie)![1]!;
    expect(await storeContents(server)).not.to.include(id);
  });

  it('authorises /v1/api-keys by session, with X-CSRF-Token on changes', async () => {
    const { browser, home } = await signIn();
    const csrf = Browser.forms(home)[0]!.fields._csrf!;
    const list = await browser.request(`${server.issuer}/v1/api-keys`, { headers: { accept: 'application/json' } });
    expect(list.status).to.equal(200);
    const noToken = await browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ environment: 'live', scopes: ['read:billing'] }),
    });
    expect(noToken.status).to.equal(403);
    expect((JSON.parse(noToken.html) as { error: { code: string } }).error.code).to.equal('csrf_failed');
    const ok = await browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ environment: 'live', scopes: ['read:billing'] }),
    });
    expect(ok.status).to.equal(201);
    expect((JSON.parse(ok.html) as { key: string }).key).to.match(/^sk_live_/);
  });

  it('never shows another account\'s keys, and signs out', async () => {
    const other = await server.createUser('Other Portal Co');
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const theirs = await createKey(server.latchkey.store, pepper, { accountId: other.accountId, environment: 'test', scopes: ['read:contacts'], name: 'their secret key', actor: 'cli' });
    const { browser, home } = await signIn();
    expect(home.html).not.to.include('their secret key');
    const forged = await browser.submit({ action: `${server.issuer}/portal/keys/${theirs.record.id}/roll`, fields: Browser.forms(home)[0]!.fields }, { overlap: '0' }, 'nowhere:');
    expect(page(forged).status).to.equal(404);
    const confirm = await browser.request(`${server.issuer}/portal/keys/${theirs.record.id}/revoke`);
    expect(confirm.status).to.equal(404);
    expect(confirm.html).not.to.include('their secret key');
    const api = await browser.request(`${server.issuer}/v1/api-keys/${theirs.record.id}`, { headers: { accept: 'application/json' } });
    expect(api.status).to.equal(404);

    const logout = Browser.forms(home).find((f) => f.action.endsWith('/portal/logout'))!;
    await browser.submit(logout, {}, 'nowhere:');
    const after = await browser.request(`${server.issuer}/portal`);
    expect(after.status).to.equal(303);
    expect(after.headers.get('location')).to.equal('/portal/login');
  });
});
