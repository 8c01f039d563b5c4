// No dead ends: `/` is a landing page for browsers and JSON for API clients; an unknown page is a
// styled 404 for browsers while API and OAuth paths keep their error formats; error pages lead back.
import { expect } from 'chai';
import { startServer, type TestServer } from '../helpers/server.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('landing, 404 and static pages', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('shows browsers a landing page with the ways in, and API clients the JSON', async () => {
    const page = await fetch(`${server.issuer}/`, { headers: HTML });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const html = await page.text();
    for (const href of ['/portal/signup', '/portal/login', '/docs', '/.well-known/oauth-authorization-server']) expect(html).to.include(`href="${href}"`);

    for (const accept of ['application/json', '*/*', undefined]) {
      const json = await fetch(`${server.issuer}/`, { headers: accept ? { accept } : {} });
      expect(json.headers.get('content-type'), String(accept)).to.match(/^application\/json/);
      expect(await json.json()).to.deep.equal({
        name: 'Latchkey', issuer: server.issuer, discovery: `${server.issuer}/.well-known/oauth-authorization-server`, docs: `${server.issuer}/docs`,
      });
    }
  });

  it('answers an unknown page with a styled 404 for browsers, with ways on', async () => {
    for (const path of ['/nothing-here', '/portal/nothing-here', '/static/nothing.css']) {
      const response = await fetch(`${server.issuer}${path}`, { headers: HTML });
      expect(response.status, path).to.equal(404);
      expect(response.headers.get('content-type'), path).to.match(/^text\/html/);
      const html = await response.text();
      expect(html, path).to.include('/static/latchkey.css').and.match(/href="\/(portal)?"/);
    }
    const page = await (await fetch(`${server.issuer}/nothing-here`, { headers: HTML })).text();
    expect(page).to.include('Page not found').and.include('href="/docs"');
  });

  it('keeps JSON errors for API clients and OAuth paths', async () => {
    const api = await fetch(`${server.issuer}/v1/nothing`, { headers: HTML });
    expect(api.status).to.equal(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).to.equal('not_found');

    const unknown = await fetch(`${server.issuer}/nothing-here`, { headers: { accept: 'application/json' } });
    expect(unknown.status).to.equal(404);
    expect(unknown.headers.get('content-type'), 'as before: not a page').not.to.match(/html/);

    const token = await fetch(`${server.issuer}/token`, { method: 'GET', headers: HTML });
    expect(token.headers.get('content-type'), 'oidc-provider answers its own paths').not.to.match(/html/);
    const discovery = await fetch(`${server.issuer}/.well-known/openid-configuration`, { headers: HTML });
    expect(discovery.status).to.equal(200);
  });

  it('serves every css and js file of static/ with its type and cache headers', async () => {
    for (const [file, type] of [['latchkey.css', /^text\/css/], ['copy.js', /^text\/javascript/]] as const) {
      const response = await fetch(`${server.issuer}/static/${file}`);
      expect(response.status, file).to.equal(200);
      expect(response.headers.get('content-type'), file).to.match(type);
      expect(response.headers.get('cache-control'), file).to.match(/^public, max-age=\d+$/);
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    }
    const outside = await fetch(`${server.issuer}/static/..%2Fpackage.json`, { headers: { accept: 'application/json' } });
    expect(outside.status).to.equal(404);
  });

  it('gives every error page a way back', async () => {
    const forged = await fetch(`${server.issuer}/portal/login`, {
      method: 'POST', headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=x&email=a&password=b',
    });
    expect(forged.status).to.equal(403);
    const html = await forged.text();
    expect(html).to.include('Something went wrong').and.include('href="/portal"');
  });
});
