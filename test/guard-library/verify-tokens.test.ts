// docs/verify-tokens.md (issue 26, item 2): its Node snippets, run as written against a live
// Latchkey. The jose one verifies a real client-credentials token and names its account and env,
// and refuses an ID-token-style one; the express-oauth2-jwt-bearer one answers 200 with the scope,
// 403 without, 401 for a forged token.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { ROOT, runNode } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { freePort, startServer, type TestServer } from '../helpers/server.ts';

const PAGE = readFileSync(join(ROOT, 'docs/verify-tokens.md'), 'utf8');
// Under node_modules, so that the snippets' imports resolve as in a project that installed them.
const DIR = join(ROOT, 'node_modules', '.cache', 'latchkey-snippets');

function snippet(name: string): string {
  const block = new RegExp('```js\\n// ' + name.replaceAll('.', '\\.') + '\\n([\\s\\S]*?)```').exec(PAGE)?.[1];
  if (!block) throw new Error(`docs/verify-tokens.md has no snippet ${name}`);
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, name);
  writeFileSync(path, block);
  return path;
}

describe('docs/verify-tokens.md, run as written', function () {
  this.timeout(30_000);
  let server: TestServer;
  let token: string;
  let narrow: string;
  let accountId: string;
  before(async () => {
    server = await startServer();
    const made = await server.createClient({ name: 'Verifier', type: 'service', scopes: 'read:contacts read:events' });
    accountId = made.accountId;
    const as = await discover(server.issuer);
    token = (await clientCredentials(as, made.clientId, made.clientSecret, 'read:contacts')).access_token;
    narrow = (await clientCredentials(as, made.clientId, made.clientSecret, 'read:events')).access_token;
    recordSecret(token);
    recordSecret(narrow);
  });
  after(() => server?.stop({ removeData: true }));

  it('jose: verifies a token and names its account and environment; refuses a missing scope and a forgery', async () => {
    const path = snippet('verify-with-jose.mjs');
    const env = { LATCHKEY_ISSUER: server.issuer, RESOURCE: `${server.issuer}/api`, SCOPE: 'read:contacts' };
    const run = (t: string) => runNode(path.slice(ROOT.length + 1), [], { ...env, TOKEN: t });
    const ok = await run(token);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.include({ account: accountId, env: 'test' });
    expect((await run(narrow)).stderr).to.include('insufficient_scope: read:contacts');
    const [header, payload] = token.split('.');
    expect((await run(`${header}.${payload}.${'A'.repeat(86)}`)).code, 'a forged signature').to.equal(1);
  });

  it('express-oauth2-jwt-bearer: 200 with the scope, 403 without, 401 for a forgery', async () => {
    const path = snippet('verify-with-express.mjs');
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [path], {
      cwd: ROOT, env: { PATH: process.env.PATH, LATCHKEY_ISSUER: server.issuer, RESOURCE: `${server.issuer}/api`, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the snippet did not start')), 10_000);
        child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) { clearTimeout(timer); resolve(); } });
      });
      const call = (t: string) => fetch(`http://127.0.0.1:${port}/contacts`, { headers: { authorization: `Bearer ${t}` } });
      const ok = await call(token);
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.include({ account: accountId, env: 'test' });
      expect((await call(narrow)).status).to.equal(403);
      const [header, payload] = token.split('.');
      expect((await call(`${header}.${payload}.${'A'.repeat(86)}`)).status).to.equal(401);
    } finally {
      child.kill();
    }
  });
});
