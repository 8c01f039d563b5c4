// The docs as a way in (issue 25, item 7): /docs/getting-started first, its examples naming the
// running issuer and, for a signed-in reader, their own test client; a sidebar by audience; "On this
// page"; a copy button on each example (the page may run our one script); tables that scroll.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form } from '../portal/helpers.ts';

describe('the docs as a way in', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('starts with getting started, in the running issuer\'s words', async () => {
    const landing = await (await fetch(`${server.issuer}/`, { headers: { accept: 'text/html' } })).text();
    expect(landing).to.include('href="/docs/getting-started"');
    const res = await fetch(`${server.issuer}/docs/getting-started`);
    expect(res.headers.get('content-security-policy')).to.include("script-src 'self'").and.include("default-src 'none'");
    const html = await res.text();
    expect(html).to.include(`${server.issuer}/token`).and.not.include('localhost:3000');
    expect(html).to.include('<nav class="docs-sidebar" aria-label="Docs">').and.include('>Partners</h2>').and.include('>Operators</h2>');
    expect(html.indexOf('>Partners</h2>')).to.be.lessThan(html.indexOf('>Operators</h2>'));
    expect(html).to.include('href="/docs/getting-started" aria-current="page"');
    expect(html).to.include('<nav class="on-this-page"').and.include('href="#3-a-token-and-a-call"');
    expect(html).to.match(/<button type="button" class="copy small secondary" data-copy="example-1" hidden>/).and.include('<code id="example-1"');
    expect(html).to.include('<div class="table-scroll"').and.include('<script src="/static/copy.js" defer></script>');
    expect(html).to.include('YOUR_TEST_CLIENT_ID');
  });

  it('names the signed-in reader\'s own test client in the examples', async () => {
    const user = await server.createUser('Docs Reader Co');
    const app = await server.createClient({ accountId: user.accountId, name: 'Reader Service', type: 'service', scopes: 'read:contacts' });
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    const page = pageOf(await browser.navigate(`${server.issuer}/docs/getting-started`, 'nowhere:'));
    expect(page.html).to.include(`${app.clientId}:YOUR_SECRET`).and.include('your newest test client');
    expect(page.html).to.not.include('YOUR_TEST_CLIENT_ID');
  });
});
