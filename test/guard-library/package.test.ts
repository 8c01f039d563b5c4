// @latchkey/guard as a package: `npm pack` builds it, the tarball installs offline into an empty
// project with only its declared dependencies, a strict TypeScript project compiles against its
// types (no skipLibCheck, no Koa or Express types), and the compiled consumer guards a route
// against a live Latchkey.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { installOffline, packGuard, type PackedGuard } from '../helpers/offline-install.ts';
import { ROOT, run } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';
import { ORDERS, ORDERS_CATALOG, catalogFile, dropChildDatabase, startChild, type Child } from '../catalog/child.ts';

const CONSUMER = join(import.meta.dirname, 'package-consumer');
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const guardManifest = JSON.parse(readFileSync(join(ROOT, 'packages/guard/package.json'), 'utf8')) as {
  version: string; engines: { node: string }; dependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional: boolean }>;
};

/** Whether `version` (v20.20.2) meets a `>=20.15`-style floor. */
function meets(version: string, floor: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [fMajor = 0, fMinor = 0] = floor.replace(/^>=\s*/, '').split('.').map(Number);
  return major > fMajor || (major === fMajor && minor >= fMinor);
}

describe('@latchkey/guard as an installable package', function () {
  this.timeout(180_000);
  let guard: PackedGuard;
  let project: string;
  let latchkey: Child;
  let consumer: { url: string; output: () => string; stop: () => void };
  let readKey: string;

  before(async () => {
    guard = await packGuard();
    project = mkdtempSync(join(tmpdir(), 'latchkey-guard-consumer-'));
    await installOffline(project, guard, { typescript: '', '@types/node': '' });
    copyFileSync(join(CONSUMER, 'app.ts'), join(project, 'app.ts'));
    // Named apart in the repository, so the linter does not take it for the repository's own.
    copyFileSync(join(CONSUMER, 'tsconfig.consumer.json'), join(project, 'tsconfig.json'));
  });
  after(async () => {
    consumer?.stop();
    await latchkey?.stop();
    await dropChildDatabase(latchkey);
    for (const dir of [guard?.work, project]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs compiled JavaScript and declarations only, at Latchkey\'s version, stating its Node versions', () => {
    expect(guard.version, 'follows Latchkey').to.equal(rootManifest.version);
    expect(guardManifest.engines.node).to.match(/^>=\d+\.\d+$/);
    const sources = guard.files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources, 'no TypeScript source: Node does not strip types under node_modules').to.deep.equal([]);
    expect(guard.files).to.include.members(['dist/index.js', 'dist/index.d.ts', 'dist/koa.js', 'dist/express.d.ts', 'package.json', 'README.md']);
    expect(guard.files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f))).to.deep.equal([]);
  });

  it('declares jose as its one dependency, and Koa\'s and Express\'s types as optional peers', () => {
    expect(Object.keys(guardManifest.dependencies)).to.deep.equal(['jose']);
    expect(guardManifest.peerDependenciesMeta).to.deep.equal({ '@types/express': { optional: true }, '@types/koa': { optional: true } });
    const installed = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.')).sort();
    expect(installed, 'nothing but what was asked for and jose').to.deep.equal(['@latchkey', '@types', 'jose', 'typescript', 'undici-types']);
    expect(readdirSync(join(project, 'node_modules/@types'))).to.deep.equal(['node']);
  });

  it('type-checks in a strict project without skipLibCheck and compiles to ESM', async () => {
    const result = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], project, process.env, 60_000);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    const compiled = readFileSync(join(project, 'dist/app.js'), 'utf8');
    expect(compiled).to.include("from '@latchkey/guard'");
  });

  describe('guarding a route against a live Latchkey', () => {
    before(async () => {
      latchkey = await startChild({ LATCHKEY_CATALOG_FILE: catalogFile(ORDERS_CATALOG) });
      const account = await latchkey.latchkey(['account', 'create', '--name', 'Shop Inc', '--email', `pkg.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13']);
      const rs = await latchkey.latchkey(['resource-server', 'create', '--resource', ORDERS, '--name', 'Orders API']);
      readKey = (await latchkey.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:orders'])).key!;
      const port = await freePort();
      // The oldest Node on PATH runs it, where one is (Node 20 on this project's machines): the engines floor.
      const child = spawn('node', ['dist/app.js'], {
        cwd: project, stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH, PORT: String(port), LATCHKEY_ISSUER: latchkey.issuer, RESOURCE: ORDERS,
          INTROSPECTION_CLIENT_ID: rs.client_id!, INTROSPECTION_CLIENT_SECRET: rs.client_secret!,
        },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      consumer = { url: `http://127.0.0.1:${port}`, output: () => output, stop: () => child.kill('SIGTERM') };
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => { if (output.includes('listening')) { clearInterval(poll); resolve(); } }, 20);
        child.once('exit', (code) => { clearInterval(poll); reject(new Error(`the consumer exited ${code}: ${output}`)); });
      });
    });

    it('runs on a Node its engines field admits', () => {
      const version = /node (v[\d.]+)/.exec(consumer.output())?.[1] ?? '';
      expect(meets(version, guardManifest.engines.node), `${version} against ${guardManifest.engines.node}`).to.equal(true);
    });

    it('200 for an API key and for a client-credentials token holding the scope', async () => {
      const byKey = await call(consumer.url, 'GET', '/orders', readKey);
      expect(byKey.status, JSON.stringify(byKey.body)).to.equal(200);
      expect(byKey.body).to.include({ env: 'test', credential: 'api_key' });
      const client = await latchkey.latchkey(['client', 'create', '--account', byKey.body.account_id as string, '--name', 'svc', '--type', 'service', '--scopes', 'read:orders']);
      const token = (await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'read:orders')).access_token;
      const byToken = await call(consumer.url, 'GET', '/orders', token);
      expect(byToken.status, JSON.stringify(byToken.body)).to.equal(200);
      expect(byToken.body).to.include({ credential: 'access_token' });
    });

    it('403 insufficient_scope naming the missing scope', async () => {
      const res = await call(consumer.url, 'POST', '/orders', readKey);
      expect(res.status).to.equal(403);
      expect(res.body.error?.code).to.equal('insufficient_scope');
      expect(res.headers.get('www-authenticate')).to.include('scope="write:orders"');
    });

    it('401 invalid_token for a token signed by another key under Latchkey\'s key id', async () => {
      const client = await latchkey.latchkey(['client', 'create', '--account', (await call(consumer.url, 'GET', '/orders', readKey)).body.account_id as string, '--name', 'svc2', '--type', 'service', '--scopes', 'read:orders']);
      const real = (await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'read:orders')).access_token;
      const { privateKey } = await generateKeyPair('ES256');
      const claims = JSON.parse(Buffer.from(real.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      const forged = await new SignJWT(claims).setProtectedHeader(decodeProtectedHeader(real) as { alg: string }).sign(privateKey);
      const res = await call(consumer.url, 'GET', '/orders', forged);
      expect(res.status).to.equal(401);
      expect(res.body.error?.code).to.equal('invalid_token');
      expect((await call(consumer.url, 'GET', '/orders', real)).status, 'the genuine token passes').to.equal(200);
    });
  });
});
