// The key lifecycle over HTTP (/v1/api-keys) and from the CLI; leaks in URLs; nothing in plaintext.
import { expect } from 'chai';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { capturingLogger, startServer, storeContents, type TestServer } from '../helpers/server.ts';

describe('API key management', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;
  let admin: string;

  const log = capturingLogger();

  before(async () => {
    server = await startServer({ log });
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    accountId = (await server.createUser('Keys Co')).accountId;
    // It mints keys, so it holds every scope they get (see minting-limits.test.ts).
    admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: [...API_SCOPE_NAMES], actor: 'cli' })).key;
  });
  after(() => server.stop({ removeData: true }));

  it('creates a key (shown once), lists and gets metadata only', async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { name: 'CRM sync', scopes: ['read:contacts'] });
    expect(created.status).to.equal(201);
    const key = String(created.body.key);
    expect(key).to.match(/^sk_test_[0-9A-Za-z]{49}$/);
    expect(created.body).to.deep.include({ object: 'api_key', name: 'CRM sync', environment: 'test', status: 'active' });
    expect(created.body.scopes).to.deep.equal(['read:contacts']);
    expect(created.body.hint).to.equal(`sk_test_…${key.slice(-4)}`);

    const list = await call(server.issuer, 'GET', '/v1/api-keys', admin);
    expect(list.status).to.equal(200);
    expect(JSON.stringify(list.body)).not.to.include(key);
    const got = await call(server.issuer, 'GET', `/v1/api-keys/${String(created.body.id)}`, admin);
    expect(got.body).to.not.have.property('key');
    expect(got.body.id).to.equal(created.body.id);

    expect((await call(server.issuer, 'GET', '/api/v1/contacts', key)).status).to.equal(200);
  });

  it('records who created a key', async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:events'] });
    const adminRecord = await server.latchkey.store.findApiKeyByHash(pepper.hash(admin));
    expect(created.body.created_by).to.equal(`api_key:${adminRecord!.id}`);
  });

  it('rolls a key: a new one now, the old one until the overlap ends, with audit events', async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { name: 'to roll', scopes: ['read:contacts'] });
    const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/roll`, admin, { overlap: '2h' });
    expect(rolled.status).to.equal(201);
    expect(rolled.body.key).to.be.a('string').and.not.equal(created.body.key);
    expect(rolled.body.replaces).to.equal(created.body.id);
    const previous = rolled.body.previous as Record<string, string>;
    expect(previous.status).to.equal('rolled');
    expect(previous.replaced_by).to.equal(rolled.body.id);
    const overlapEnd = Date.parse(previous.expires_at!) - Date.now();
    expect(overlapEnd).to.be.within(2 * 3600_000 - 60_000, 2 * 3600_000 + 1000);
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key))).status).to.equal(200);
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(rolled.body.key))).status).to.equal(200);

    const again = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/roll`, admin, {});
    expect(again.status).to.equal(409);
    const tooLong = await call(server.issuer, 'POST', `/v1/api-keys/${String(rolled.body.id)}/roll`, admin, { overlap: '30d' });
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body.error?.field).to.equal('overlap');

    const events = await call(server.issuer, 'GET', `/v1/api-keys/${String(created.body.id)}/events`, admin);
    expect((events.body.data as { action: string }[]).map((e) => e.action)).to.deep.equal(['api_key.rolled', 'api_key.created']);
  });

  it('revokes a key: dead at once, with the reason in the list', async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
    const revoked = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/revoke`, admin, { reason: 'laptop lost' });
    expect(revoked.status).to.equal(200);
    expect(revoked.body).to.deep.include({ status: 'revoked', revoked_reason: 'laptop lost' });
    const call401 = await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key));
    expect(call401.status).to.equal(401);
    expect(call401.body.error?.message).to.include('laptop lost');
    expect((await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/revoke`, admin)).status).to.equal(409);
  });

  it('needs the management scopes, and never reaches another account or environment', async () => {
    const reader = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:api_keys'], actor: 'cli' })).key;
    expect((await call(server.issuer, 'GET', '/v1/api-keys', reader)).status).to.equal(200);
    const denied = await call(server.issuer, 'POST', '/v1/api-keys', reader, { scopes: ['read:contacts'] });
    expect(denied.status).to.equal(403);
    expect(denied.body.error?.required_scope).to.equal('write:api_keys');
    const plain = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' })).key;
    expect((await call(server.issuer, 'GET', '/v1/api-keys', plain)).status).to.equal(403);

    const otherAccount = (await server.createUser('Other Keys Co')).accountId;
    const otherAdmin = (await createKey(server.latchkey.store, pepper, { accountId: otherAccount, environment: 'test', scopes: ['read:api_keys', 'write:api_keys'], actor: 'cli' })).key;
    const mine = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
    for (const [method, suffix] of [['GET', ''], ['POST', '/roll'], ['POST', '/revoke'], ['GET', '/events']] as const) {
      const res = await call(server.issuer, method, `/v1/api-keys/${String(mine.body.id)}${suffix}`, otherAdmin);
      expect(res.status, `${method} ${suffix}`).to.equal(404);
    }
    const otherList = await call(server.issuer, 'GET', '/v1/api-keys', otherAdmin);
    expect(JSON.stringify(otherList.body)).not.to.include(String(mine.body.id));

    const liveAdmin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'live', scopes: ['read:api_keys', 'write:api_keys'], actor: 'cli' })).key;
    expect((await call(server.issuer, 'GET', `/v1/api-keys/${String(mine.body.id)}`, liveAdmin)).status, 'live credential, test key').to.equal(404);
    const crossCreate = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'], environment: 'live' });
    expect(crossCreate.status).to.equal(403);
  });

  it('lets an OAuth client holding write:api_keys manage its account\'s keys', async () => {
    const svc = await server.createClient({ accountId, name: 'rotator', type: 'service', scopes: 'read:api_keys write:api_keys read:events' });
    const as = await discover(server.issuer);
    const token = (await clientCredentials(as, svc.clientId, svc.clientSecret, 'write:api_keys read:events')).access_token;
    const created = await call(server.issuer, 'POST', '/v1/api-keys', token, { name: 'from OAuth', scopes: ['read:events'] });
    expect(created.status).to.equal(201);
    expect(created.body.created_by).to.equal(`client:${svc.clientId}`);
  });

  it('validates input, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['openid'] }, 'scopes'],
      [{ scopes: ['admin:everything'] }, 'scopes'],
      [{ scopes: 'read:contacts', expires_at: 'tomorrow' }, 'expires_at'],
      [{ scopes: ['read:contacts'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ scopes: ['read:contacts'], name: 'x'.repeat(101) }, 'name'],
      [{ scopes: ['read:contacts'], colour: 'red' }, 'colour'],
      [{ scopes: ['read:contacts'], environment: 'staging' }, 'environment'],
    ];
    for (const [body, field] of cases) {
      const res = await call(server.issuer, 'POST', '/v1/api-keys', admin, body);
      expect(res.status, JSON.stringify(body)).to.be.oneOf([400, 403]);
      expect(res.body.error?.field, JSON.stringify(body)).to.equal(field);
    }
  });

  it('expires a key at its expiry', async () => {
    const soon = new Date(Date.now() + 1200).toISOString();
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'], expires_at: soon });
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key))).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const expired = await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key));
    expect(expired.status).to.equal(401);
    expect(expired.body.error?.message).to.match(/expired/);
  });

  describe('a key sent in a URL', () => {
    it('is refused, revoked at once with the reason in the list, and dead in the header afterwards', async () => {
      const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { name: 'leaky', scopes: ['read:contacts'] });
      const key = String(created.body.key);
      const leaked = await fetch(`${server.issuer}/api/v1/contacts?api_key=${key}`);
      expect(leaked.status).to.equal(400);
      const body = await leaked.json() as { error: { code: string; message: string; key_revoked?: boolean } };
      expect(body.error.code).to.equal('credential_in_url');
      expect(body.error.key_revoked).to.equal(true);
      expect(JSON.stringify(body)).not.to.include(key);

      const after = await call(server.issuer, 'GET', '/api/v1/contacts', key);
      expect(after.status).to.equal(401);
      expect(after.body.error?.message).to.include('exposed in a URL');
      const listed = await call(server.issuer, 'GET', `/v1/api-keys/${String(created.body.id)}`, admin);
      expect(listed.body).to.deep.include({ status: 'revoked', revoked_reason: 'exposed in a URL' });
      const events = await call(server.issuer, 'GET', `/v1/api-keys/${String(created.body.id)}/events`, admin);
      expect((events.body.data as { action: string; actor: string }[])[0]).to.deep.include({ action: 'api_key.revoked', actor: 'system' });

      const logged = log.lines.join('\n');
      expect(logged, 'the revocation is logged').to.include(String(created.body.id));
      expect(logged, 'the key never is').not.to.include(key);
    });

    it('is caught in any parameter, in the path, and on any route', async () => {
      for (const url of [
        (k: string) => `/api/v1/contacts?q=${k}`,
        (k: string) => `/api/v1/contacts/${k}`,
        (k: string) => `/docs?ref=${encodeURIComponent(k)}`,
      ]) {
        const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
        const key = String(created.body.key);
        const res = await fetch(`${server.issuer}${url(key)}`, { headers: { accept: 'application/json' } });
        expect(res.status, url('KEY')).to.equal(400);
        expect(log.lines.join('\n'), 'not in the request log').not.to.include(key);
        expect((await call(server.issuer, 'GET', '/api/v1/contacts', key)).status, url('KEY')).to.equal(401);
      }
    });

    it('refuses credential-named parameters even when the value is not one of our keys', async () => {
      for (const name of ['access_token', 'token', 'api_key', 'key']) {
        const res = await fetch(`${server.issuer}/api/v1/contacts?${name}=whatever`, { headers: { accept: 'application/json' } });
        expect(res.status, name).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('credential_in_url');
      }
    });
  });

  it('never stores a key in plaintext', async () => {
    const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { scopes: ['read:contacts'] });
    const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${String(created.body.id)}/roll`, admin, {});
    const bytes = await storeContents(server);
    expect(bytes).to.include(String(created.body.id));
    for (const key of [admin, String(created.body.key), String(rolled.body.key)]) {
      expect(bytes).not.to.include(key);
      expect(bytes).not.to.include(key.slice(8, 40));
    }
  });

  it('works from the CLI: create, list, roll, revoke', async function () {
    this.timeout(60_000); // fourteen CLI processes, each starting Node
    const env = server.cliEnv;
    const created = await cli(['key', 'create', '--account', accountId, '--env', 'live', '--scopes', 'read:contacts read:events', '--name', 'CLI key', '--json'], env);
    expect(created.code, created.stderr).to.equal(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key).to.match(/^sk_live_/);
    expect((await call(server.issuer, 'GET', '/api/v1/events', key)).status).to.equal(200);

    const list = JSON.parse((await cli(['key', 'list', '--account', accountId, '--json'], env)).stdout) as { data: { id: string }[] };
    expect(list.data.map((k) => k.id)).to.include(id);
    expect(JSON.stringify(list)).not.to.include(key);

    const rolled = await cli(['key', 'roll', id, '--overlap', '0', '--json'], env);
    expect(rolled.code, rolled.stderr).to.equal(0);
    const next = JSON.parse(rolled.stdout) as { id: string; key: string };
    expect((await call(server.issuer, 'GET', '/api/v1/events', key)).status, 'old key, no overlap').to.equal(401);
    expect((await call(server.issuer, 'GET', '/api/v1/events', next.key)).status).to.equal(200);

    const revoked = await cli(['key', 'revoke', next.id, '--reason', 'rotation drill', '--json'], env);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect((JSON.parse(revoked.stdout) as { revoked_reason: string }).revoked_reason).to.equal('rotation drill');
    expect((await call(server.issuer, 'GET', '/api/v1/events', next.key)).status).to.equal(401);

    for (const [args, message] of [
      [['key', 'revoke', 'key_nope', '--json'], /no API key/],
      [['key', 'roll', '--json'], /give the key id/],
      [['key', 'create', '--account', accountId, '--env', 'prod', '--scopes', 'read:contacts', '--json'], /environment must be/],
      [['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'openid', '--json'], /not a scope an API key can hold/],
      [['key', 'roll', id, '--overlap', '9d', '--json'], /overlap must be/],
    ] as [string[], RegExp][]) {
      const result = await cli(args, env);
      expect(result.code, args.join(' ')).to.be.greaterThan(0);
      expect(result.stdout).to.equal('');
      expect(result.stderr, args.join(' ')).to.match(message);
    }
  });
});
