// Issue 13, "Done when": Latchkey as a child process with a catalog file declaring the Orders API
// (examples/orders-api/catalog.json), and the example Orders API as another process protecting
// itself with the guard library against it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { call, type ApiResponse } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { ROOT, run } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startChild, dropChildDatabase, type Child } from '../catalog/child.ts';
import { installOrdersApi, startOrdersApi, type ExampleProcess } from './example-process.ts';

const CATALOG = join(ROOT, 'examples/orders-api/catalog.json');
const ORDERS = (JSON.parse(readFileSync(CATALOG, 'utf8')) as { resources: { resource: string }[] }).resources[0]!.resource;
/** The example's cache bound in this test (the default is in config/lifetimes.ts; docs/protect-your-api.md). */
const CACHE_SECONDS = 2;

describe('an operator API protected by the guard library (end to end)', function () {
  this.timeout(60_000);
  let latchkey: Child;
  let orders: ExampleProcess;
  let installed: Awaited<ReturnType<typeof installOrdersApi>>;
  let latchkeyOutput = '';
  const secrets: string[] = [];
  let accountId: string;
  let readKey: { id: string; key: string };
  let ordersToken: string;

  const keep = (value: string) => { recordSecret(value); secrets.push(value); return value; };

  async function apiKey(scopes: string): Promise<{ id: string; key: string }> {
    const created = await latchkey.latchkey(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', scopes]);
    return { id: created.id!, key: keep(created.key!) };
  }

  async function serviceToken(scopes: string): Promise<string> {
    const client = await latchkey.latchkey(['client', 'create', '--account', accountId, '--name', `svc ${scopes}`, '--type', 'service', '--scopes', scopes]);
    const token = (await clientCredentials(await discover(latchkey.issuer), client.client_id!, keep(client.client_secret!), scopes)).access_token;
    return keep(token);
  }

  function expectInvalidToken(res: ApiResponse) {
    expect(res.status, JSON.stringify(res.body)).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer realm="latchkey", error="invalid_token"/);
    expect(res.body.error?.code).to.equal('invalid_token');
  }

  before(async () => {
    latchkey = await startChild({ LATCHKEY_CATALOG_FILE: CATALOG });
    latchkey.process.stdout?.on('data', (d: Buffer) => { latchkeyOutput += d.toString(); });
    latchkey.process.stderr?.on('data', (d: Buffer) => { latchkeyOutput += d.toString(); });
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Shop Inc', '--email', `shop.${Date.now()}@example.com`, '--password', keep('correct horse battery staple 13')]);
    accountId = account.account_id!;
    const rs = await latchkey.latchkey(['resource-server', 'create', '--resource', ORDERS, '--name', 'Orders API']);
    installed = await installOrdersApi({ typescript: '', '@types/node': '', '@types/koa': '' });
    orders = await startOrdersApi(installed.dir, {
      LATCHKEY_ISSUER: latchkey.issuer, ORDERS_RESOURCE: ORDERS, INTROSPECTION_CLIENT_ID: rs.client_id!,
      INTROSPECTION_CLIENT_SECRET: keep(rs.client_secret!), INTROSPECTION_CACHE_SECONDS: String(CACHE_SECONDS),
    });
    readKey = await apiKey('read:orders');
    ordersToken = await serviceToken('read:orders');
  });
  after(async () => {
    await orders?.stop();
    await latchkey?.stop();
    await dropChildDatabase(latchkey);
    installed?.remove();
  });

  it('a client-credentials token for the Orders API reaches GET /orders', async () => {
    const res = await call(orders.url, 'GET', '/orders', ordersToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({ object: 'list', data: [] });
  });

  it('an API key with read:orders reaches GET /orders', async () => {
    const res = await call(orders.url, 'GET', '/orders', readKey.key);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  });

  it('POST /orders without write:orders is 403 naming the scope; with it, 201', async () => {
    for (const credential of [ordersToken, readKey.key]) {
      const res = await call(orders.url, 'POST', '/orders', credential, { item: 'widget' });
      expect(res.status).to.equal(403);
      expect(res.headers.get('www-authenticate')).to.match(/error="insufficient_scope", scope="write:orders"/);
      expect(res.body.error).to.include({ code: 'insufficient_scope', message: 'this endpoint requires the write:orders scope', required_scope: 'write:orders' });
    }
    const writer = await apiKey('read:orders write:orders');
    const created = await call(orders.url, 'POST', '/orders', writer.key, { item: 'widget', quantity: 2 });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const listed = await call(orders.url, 'GET', '/orders', ordersToken);
    expect(listed.body.data).to.deep.equal([created.body]);
  });

  it('a body it cannot use is a 400 naming the field, not a 500', async () => {
    const writer = await apiKey('write:orders');
    const res = await call(orders.url, 'POST', '/orders', writer.key, { item: 'widget', quantity: 0 });
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({ code: 'validation_failed', field: 'quantity' });
    const notJson = await fetch(`${orders.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${writer.key}` }, body: '{' });
    expect(notJson.status).to.equal(400);
  });

  it('no credential: 401 with a bare challenge', async () => {
    const res = await call(orders.url, 'GET', '/orders');
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.equal(`Bearer realm="latchkey", resource_metadata="${new URL(ORDERS).origin}/.well-known/oauth-protected-resource"`);
    const metadata = await call(orders.url, 'GET', '/.well-known/oauth-protected-resource');
    expect(metadata.status, 'the example serves its document (guard.koaMetadata())').to.equal(200);
    expect(metadata.body).to.deep.include({ resource: ORDERS, bearer_methods_supported: ['header'] });
  });

  it('a revoked key is refused within the cache bound', async () => {
    const key = await apiKey('read:orders');
    expect((await call(orders.url, 'GET', '/orders', key.key)).status).to.equal(200);
    await latchkey.latchkey(['key', 'revoke', key.id, '--reason', 'end-to-end test']);
    // Any request sent once the bound has passed since the revocation is refused.
    const bound = Date.now() + CACHE_SECONDS * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, bound - Date.now())));
    expectInvalidToken(await call(orders.url, 'GET', '/orders', key.key));
  });

  it('a Partner API token (aud $ISSUER/api) is refused: wrong audience', async () => {
    const partnerToken = await serviceToken('read:contacts');
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', partnerToken)).status, 'it works where it belongs').to.equal(200);
    const res = await call(orders.url, 'GET', '/orders', partnerToken);
    expectInvalidToken(res);
    expect(res.headers.get('www-authenticate')).to.include('another resource');
  });

  it('the Orders API cannot introspect another resource\'s credentials: a read:contacts key is inactive there', async () => {
    const contactsKey = await apiKey('read:contacts');
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', contactsKey.key)).status, 'it works where it belongs').to.equal(200);
    expectInvalidToken(await call(orders.url, 'GET', '/orders', contactsKey.key));
  });

  it('the installed example type-checks strictly against the package\'s Koa types (no skipLibCheck)', async () => {
    writeFileSync(join(installed.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false,
        noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true, types: ['node'],
      },
      include: ['*.ts'],
    }));
    const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], installed.dir, process.env, 60_000);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
  });

  it('the example refuses to start without its settings, naming the missing one', async () => {
    const result = await run(process.execPath, ['server.ts'], installed.dir, { PATH: process.env.PATH, LATCHKEY_ISSUER: latchkey.issuer });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('INTROSPECTION_CLIENT_ID is not set');
  });

  it('neither process printed a key, a token or a secret', () => {
    const printed = latchkeyOutput + orders.output();
    expect(secrets.filter((s) => printed.includes(s)).map((s) => s.slice(0, 6))).to.deep.equal([]);
  });
});
