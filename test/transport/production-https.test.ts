// Production behind a TLS-terminating proxy: an https ISSUER, TRUST_PROXY=true, and the test talking
// plain http to 127.0.0.1 as the proxy does, saying the scheme in X-Forwarded-Proto.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { pageOf } from '../../packages/form-browser/browser.ts';
import { oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ProxiedBrowser } from './proxied-browser.ts';

const ISSUER = 'https://auth.example.test';
const REDIRECT_URI = 'https://app.example.test/callback';
const HSTS = 'max-age=31536000; includeSubDomains';

function cookieName(line: string): string {
  return line.slice(0, line.indexOf('='));
}

/** Every cookie Secure; `__Host-` ones host-only with Path=/; no cookie without a prefix. */
function expectSecureCookies(lines: string[]): void {
  expect(lines).not.to.be.empty;
  for (const line of lines) {
    expect(line, line).to.match(/;\s*secure/i);
    const name = cookieName(line);
    expect(name, line).to.match(/^__(Host|Secure)-/);
    if (name.startsWith('__Host-')) {
      expect(line, line).to.match(/;\s*path=\/(;|$)/i);
      expect(line, line).not.to.match(/;\s*domain=/i);
    } else {
      expect(line, line).to.match(/;\s*path=\/[^;]/i);
    }
  }
}

describe('production behind a TLS-terminating proxy (https ISSUER, TRUST_PROXY=true)', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<TestServer['createUser']>>;

  before(async () => {
    server = await startServer({ env: { NODE_ENV: 'production', ISSUER, TRUST_PROXY: 'true' } });
    user = await server.createUser('Proxy Co');
  });
  after(() => server?.stop({ removeData: true }));

  for (const proto of [null, 'http']) {
    it(`answers 400 https_required, setting no cookie, to a request with X-Forwarded-Proto ${proto ?? 'missing'}`, async () => {
      const browser = new ProxiedBrowser(ISSUER, server.issuer, proto);
      for (const path of ['/portal/login', `/auth?client_id=x&response_type=code&scope=read:contacts`, '/.well-known/openid-configuration']) {
        const response = await browser.request(`${ISSUER}${path}`, { headers: { accept: 'application/json' } });
        expect(response.status, path).to.equal(400);
        const body = JSON.parse(response.html) as { error: { code: string; docs_url: string } };
        expect(body.error.code).to.equal('https_required');
        expect(body.error.docs_url).to.equal(`${ISSUER}/docs/errors#https_required`);
        expect(response.headers.get('strict-transport-security')).to.equal(HSTS);
      }
      expect(browser.setCookies).to.deep.equal([]);
    });
  }

  it('still revokes an API key seen in a URL that came over plain http', async () => {
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const { record, key } = await createKey(server.latchkey.store, pepper, {
      accountId: user.accountId, environment: 'test', scopes: ['read:contacts'], name: 'leaked over http', actor: 'cli',
    });
    const response = await new ProxiedBrowser(ISSUER, server.issuer, null).request(`${ISSUER}/api/v1/contacts?api_key=${key}`);
    expect(response.status).to.equal(400);
    expect((JSON.parse(response.html) as { error: { code: string } }).error.code).to.equal('credential_in_url');
    expect((await server.latchkey.store.findApiKeyByHash(pepper.hash(key)))?.revokedAt, record.id).to.be.instanceOf(Date);
  });

  it('keeps /healthz answering plain http, for load balancer probes', async () => {
    const response = await new ProxiedBrowser(ISSUER, server.issuer, null).request(`${ISSUER}/healthz`);
    expect(response.status).to.equal(200);
  });

  it('signs in to the portal with Secure, __Host- cookies and HSTS on every response', async () => {
    const browser = new ProxiedBrowser(ISSUER, server.issuer);
    const login = pageOf(await browser.navigate(`${ISSUER}/portal`, 'nowhere:'));
    expect(login.status).to.equal(200);
    const home = pageOf(await browser.submit(ProxiedBrowser.forms(login)[0]!, { email: user.email, password: user.password }, 'nowhere:'));
    expect(home.status).to.equal(200);
    expect(home.html).to.include('API keys');
    expectSecureCookies(browser.setCookies);
    expect(browser.setCookies.map(cookieName)).to.include('__Host-latchkey_portal');
    for (const { url, headers } of browser.responses) expect(headers.get('strict-transport-security'), url).to.equal(HSTS);
  });

  it('runs the authorization code flow with Secure, prefixed oidc-provider cookies', async () => {
    const created = await server.createClient({ name: 'Proxied App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [REDIRECT_URI] });
    const browser = new ProxiedBrowser(ISSUER, server.issuer);
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(`${ISSUER}/auth`);
    url.search = new URLSearchParams({
      client_id: created.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'offline_access read:contacts',
      state: 'xyz', code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();
    const login = pageOf(await browser.navigate(url.href, REDIRECT_URI));
    const consent = pageOf(await browser.submit(ProxiedBrowser.forms(login)[0]!, { email: user.email, password: user.password }, REDIRECT_URI));
    const callback = await browser.submit(ProxiedBrowser.forms(consent)[0]!, {}, REDIRECT_URI);
    expect(callback).to.be.instanceOf(URL);
    expect((callback as URL).searchParams.get('code')).to.be.a('string');

    expectSecureCookies(browser.setCookies);
    const names = new Set(browser.setCookies.map(cookieName));
    expect([...names].some((n) => n.startsWith('__Host-') && /session/.test(n)), [...names].join(' ')).to.equal(true);
    expect([...names].some((n) => n.startsWith('__Secure-') && /interaction/.test(n)), [...names].join(' ')).to.equal(true);
    for (const { url: at, headers } of browser.responses) expect(headers.get('strict-transport-security'), at).to.equal(HSTS);
  });
});

describe('development on an http localhost issuer', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('keeps plain cookie names (browsers refuse __Host-/__Secure- without Secure) and sends no HSTS', async () => {
    const browser = new ProxiedBrowser(server.issuer, server.issuer, null);
    const login = await browser.request(`${server.issuer}/portal/login`);
    expect(login.status).to.equal(200);
    expect(login.headers.get('strict-transport-security')).to.equal(null);
    expect(browser.setCookies).not.to.be.empty;
    for (const line of browser.setCookies) {
      expect(line).not.to.match(/^__(Host|Secure)-/);
      expect(line).not.to.match(/;\s*secure/i);
    }
  });
});
