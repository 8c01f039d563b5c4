// Idempotent creates (issue 26, item 4): a create repeated with one Idempotency-Key by one credential
// returns the first answer (the same key, shown again to that credential only) and makes nothing
// more; parallel repeats make one; the same key with another body is 422; another credential's
// same key is its own; a failed first request does not hold the key; the store keeps the answer
// sealed, never the secret in it.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';

describe('Idempotency-Key on creates', function () {
  this.timeout(20_000);
  let server: TestServer;
  let accountId: string;
  let manager: string;
  before(async () => {
    server = await startServer();
    accountId = (await server.createUser('Idempotent Co')).accountId;
    manager = await key(['write:api_keys', 'read:contacts', 'write:clients', 'write:contacts']);
  });
  after(() => server?.stop({ removeData: true }));

  async function key(scopes: string[]): Promise<string> {
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const made = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes, actor: 'cli' })).key;
    recordSecret(made);
    return made;
  }

  const post = (path: string, credential: string, idempotencyKey: string, body: unknown) => fetch(`${server.issuer}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, replayed: res.headers.get('idempotent-replayed'), body: await res.json() as Record<string, unknown> }));

  it('returns the first answer to a repeat, and makes one key', async () => {
    const before = (await server.latchkey.store.listApiKeys(accountId)).length;
    const first = await post('/v1/api-keys', manager, 'retry-1', { name: 'once', scopes: ['read:contacts'] });
    recordSecret(String(first.body.key));
    const again = await post('/v1/api-keys', manager, 'retry-1', { name: 'once', scopes: ['read:contacts'] });
    expect(first.status).to.equal(201);
    expect(again).to.deep.include({ status: 201, replayed: 'true' });
    expect(again.body).to.deep.equal(first.body);
    expect((await server.latchkey.store.listApiKeys(accountId)).length).to.equal(before + 1);
    expect(await storeContents(server), 'the answer is kept sealed').to.not.include(String(first.body.key));
  });

  it('makes one object from parallel repeats', async () => {
    const before = (await server.latchkey.store.listRecords({ kind: 'contact', accountId, environment: 'test' }, { limit: 1000 })).length;
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/contacts', manager, 'parallel-1', { name: 'Ada' })));
    const made = answers.filter((a) => a.status === 201);
    expect(made.length).to.be.at.least(1);
    expect(new Set(made.map((a) => a.body.id)).size, 'one contact').to.equal(1);
    expect(answers.every((a) => a.status === 201 || (a.status === 409 && (a.body.error as { code: string }).code === 'idempotency_key_in_use'))).to.equal(true);
    expect((await server.latchkey.store.listRecords({ kind: 'contact', accountId, environment: 'test' }, { limit: 1000 })).length).to.equal(before + 1);
  });

  it('refuses the key with another body, keeps credentials apart, and frees a key whose request failed', async () => {
    await post('/v1/clients', manager, 'client-1', { name: 'Svc', type: 'service', scopes: ['read:contacts'] }).then((a) => recordSecret(String(a.body.client_secret)));
    const other = await post('/v1/clients', manager, 'client-1', { name: 'Another', type: 'service', scopes: ['read:contacts'] });
    expect(other.status).to.equal(422);
    expect(other.body.error).to.include({ code: 'idempotency_key_reused' });
    const second = await key(['write:clients', 'read:contacts']);
    const own = await post('/v1/clients', second, 'client-1', { name: 'Another', type: 'service', scopes: ['read:contacts'] });
    expect(own.status, 'another credential: its own key').to.equal(201);
    recordSecret(String(own.body.client_secret));
    const bad = await post('/v1/api-keys', manager, 'fails-first', { scopes: ['no:such'] });
    expect(bad.status).to.equal(400);
    const fixed = await post('/v1/api-keys', manager, 'fails-first', { scopes: ['read:contacts'] });
    expect(fixed.status, 'the failed request did not keep the key').to.equal(201);
    recordSecret(String(fixed.body.key));
  });
});
