// Response headers every client relies on: never framed, a CSP everywhere (and one on oidc-provider's
// form_post page that lets its auto-submit script run), and no caching of token responses.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('security headers', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('sends X-Frame-Options: DENY beside a CSP that forbids framing, on every kind of response', async () => {
    const paths = ['/', '/healthz', '/.well-known/openid-configuration', '/jwks', '/portal/login', '/docs', '/v1/nothing-here',
      '/auth?client_id=nope&response_type=code', '/static/latchkey.css'];
    for (const path of paths) {
      const response = await fetch(`${server.issuer}${path}`, { redirect: 'manual' });
      expect(response.headers.get('x-frame-options'), path).to.equal('DENY');
      expect(response.headers.get('content-security-policy'), path).to.include("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options'), path).to.equal('nosniff');
      expect(response.headers.get('referrer-policy'), path).to.equal('no-referrer');
    }
  });

  it("sends helmet's whole set, as configured, on API answers and on the authorization endpoint", async () => {
    const expected: Record<string, string | null> = {
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
      // Off on purpose (a client may watch the login popup); no HSTS behind an http issuer.
      'cross-origin-opener-policy': null,
      'strict-transport-security': null,
      'x-powered-by': null,
    };
    for (const path of ['/v1/nothing-here', '/jwks', '/auth?client_id=nope&response_type=code']) {
      const response = await fetch(`${server.issuer}${path}`, { redirect: 'manual' });
      for (const [name, value] of Object.entries(expected)) expect(response.headers.get(name), `${path} ${name}`).to.equal(value);
    }
    const csp = async (path: string) => (await fetch(`${server.issuer}${path}`, { redirect: 'manual' })).headers.get('content-security-policy');
    expect(await csp('/v1/nothing-here')).to.equal("default-src 'none';script-src 'none';base-uri 'none';frame-ancestors 'none'");
    expect(await csp('/jwks')).to.equal("default-src 'none';script-src 'none';base-uri 'none';frame-ancestors 'none'");
    // Not under the authorization endpoint, where oidc-provider's form_post page needs its script (below).
    expect(await csp('/authx')).to.equal("default-src 'none';script-src 'none';base-uri 'none';frame-ancestors 'none'");
  });

  it('sends Cache-Control: no-store and Pragma: no-cache on token responses, successes and errors', async () => {
    const { clientId, clientSecret } = await server.createClient({ name: 'Headers Service', type: 'service', scopes: 'read:contacts' });
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    for (const body of ['grant_type=client_credentials&scope=read:contacts', 'grant_type=client_credentials&scope=nope']) {
      const response = await fetch(`${server.issuer}/token`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body,
      });
      expect(response.headers.get('cache-control'), body).to.equal('no-store');
      expect(response.headers.get('pragma'), body).to.equal('no-cache');
    }
  });

  it('puts a CSP on the form_post page that allows exactly its auto-submit script', async () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const created = await server.createClient({ name: 'Form Post App', type: 'web', scopes: 'read:contacts', redirectUris: [redirectUri] });
    const app: WebApp = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    const user = await server.createUser('Form Post Co');
    const browser = new Browser();
    const { url } = await startAuthorization(app, 'read:contacts', { response_mode: 'form_post' });
    const login = pageOf(await browser.navigate(url.href, redirectUri));
    const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, redirectUri));
    const formPost = pageOf(await browser.submit(Browser.forms(consent)[0]!, {}, redirectUri));

    expect(formPost.status).to.equal(200);
    expect(formPost.html).to.include(`action="${redirectUri}"`).and.include('name="code"');
    const script = /<script>([\s\S]*?)<\/script>/.exec(formPost.html)![1]!;
    const csp = formPost.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    expect(directives.get('default-src')).to.deep.equal(["'none'"]);
    expect(directives.get('frame-ancestors')).to.deep.equal(["'none'"]);
    expect(directives.get('script-src')).to.include(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(directives.get('script-src')).not.to.include("'unsafe-inline'");
    expect(directives.has('form-action'), 'the form posts to the client').to.equal(false);
    expect(formPost.headers.get('x-frame-options')).to.equal('DENY');
  });
});
