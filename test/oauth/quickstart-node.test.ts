// docs/quickstart-node.md (issue 26, item 9), run as written: its openid-client v6 web app signs a
// user in through Latchkey's real pages (the form browser), takes the callback, and calls the API
// for them, with the email from the ID token.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { ROOT } from '../helpers/processes.ts';
import { freePort, startServer, type TestServer } from '../helpers/server.ts';

const PAGE = readFileSync(join(ROOT, 'docs/quickstart-node.md'), 'utf8');
// Under node_modules, so that `openid-client` resolves as in a project that installed it.
const DIR = join(ROOT, 'node_modules', '.cache', 'latchkey-snippets');

describe('docs/quickstart-node.md, run as written', function () {
  this.timeout(30_000);
  let server: TestServer;
  let app: ChildProcess | undefined;
  before(async () => { server = await startServer(); });
  after(async () => {
    app?.kill();
    await server?.stop({ removeData: true });
  });

  it('signs a user in and calls the API for them', async () => {
    const source = /```js\n\/\/ quickstart-app\.mjs\n([\s\S]*?)```/.exec(PAGE)![1]!;
    mkdirSync(DIR, { recursive: true });
    const path = join(DIR, 'quickstart-app.mjs');
    writeFileSync(path, source);
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const user = await server.createUser('Quickstart Co');
    const client = await server.createClient({
      accountId: user.accountId, name: 'Quickstart', type: 'web', scopes: 'openid email offline_access read:contacts', redirectUris: [redirectUri],
    });
    app = spawn(process.execPath, [path], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, LATCHKEY_ISSUER: server.issuer, REDIRECT_URI: redirectUri, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret },
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the quickstart did not start: ${output}`)), 10_000);
      const seen = (d: Buffer) => { output += d.toString(); if (output.includes('listening')) { clearTimeout(timer); resolve(); } };
      app!.stdout!.on('data', seen);
      app!.stderr!.on('data', seen);
    });

    const browser = new Browser();
    const login = pageOf(await browser.navigate(`http://127.0.0.1:${port}/login`, 'nowhere:'));
    const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, 'nowhere:'));
    expect(consent.html).to.include('wants to access your account');
    const done = pageOf(await browser.submit(Browser.forms(consent)[0]!, {}, 'nowhere:'));
    expect(done.status, done.html.slice(0, 300)).to.equal(200);
    expect(JSON.parse(done.html)).to.deep.include({ email: user.email }).and.have.property('contacts');
  });
});
