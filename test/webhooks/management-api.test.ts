// /v1/webhooks (issue 25, item 2): the management API's webhooks, authorised as keys and clients are.
// A credential needs write:webhooks and every scope the events reveal; it acts in its own
// environment only; another account's webhook does not exist for it; bad bodies name their field;
// a test event reaches the one webhook; a finished delivery is sent again on request.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { startReceiver, verified, type Receiver } from './receiver.ts';

describe('/v1/webhooks', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  let accountId: string;
  before(async () => {
    server = await startServer({ env: { LATCHKEY_WEBHOOK_POLL: '100ms' } });
    receiver = await startReceiver();
    accountId = (await server.createUser('Webhook API Co')).accountId;
  });
  after(async () => {
    await receiver.close();
    await server.stop({ removeData: true });
  });

  async function key(scopes: string[], environment: 'test' | 'live' = 'test', account = accountId): Promise<string> {
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const made = (await createKey(server.latchkey.store, pepper, { accountId: account, environment, scopes, actor: 'cli' })).key;
    recordSecret(made);
    return made;
  }

  it('needs write:webhooks, and the scopes the events reveal', async () => {
    const none = await call(server.issuer, 'POST', '/v1/webhooks', await key(['read:api_keys']), { url: receiver.url, events: ['api_key.revoked'] });
    expect(none.status).to.equal(403);
    expect((none.body.error as { code: string }).code).to.equal('insufficient_scope');
    const blind = await call(server.issuer, 'POST', '/v1/webhooks', await key(['write:webhooks']), { url: receiver.url, events: ['api_key.revoked'] });
    expect(blind.status).to.equal(403);
    expect((blind.body.error as { message: string }).message).to.include('read:api_keys');
  });

  it('names the field of a bad body, and refuses another environment', async () => {
    const manager = await key(['write:webhooks', 'read:api_keys']);
    const bad = await call(server.issuer, 'POST', '/v1/webhooks', manager, { url: receiver.url, events: ['no.such.event'] });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.include({ code: 'validation_failed', field: 'events' });
    const live = await call(server.issuer, 'POST', '/v1/webhooks', manager, { environment: 'live', url: receiver.url, events: ['api_key.revoked'] });
    expect(live.status).to.equal(403);
  });

  it('creates, tests, redelivers and deletes; another account\'s webhook does not exist', async () => {
    const manager = await key(['write:webhooks', 'read:api_keys']);
    const created = await call(server.issuer, 'POST', '/v1/webhooks', manager, { url: receiver.url, events: ['api_key.revoked'] });
    expect(created.status).to.equal(201);
    const secret = String(created.body.secret);
    recordSecret(secret);
    expect(created.body).to.include({ environment: 'test', url: receiver.url }).and.not.have.any.keys('signing_secret');
    const id = String(created.body.id);

    const outsider = await key(['write:webhooks', 'read:api_keys'], 'test', (await server.createUser('Outsider Co')).accountId);
    expect((await call(server.issuer, 'GET', `/v1/webhooks/${id}`, outsider)).status).to.equal(404);

    const before = receiver.received.length;
    expect((await call(server.issuer, 'POST', `/v1/webhooks/${id}/test`, manager)).status).to.equal(202);
    const [test] = (await receiver.waitFor(before + 1)).slice(before);
    expect(verified(secret, test!).type).to.equal('webhook.test');

    const log = await call(server.issuer, 'GET', `/v1/webhooks/${id}/deliveries`, manager);
    const [delivery] = log.body.data as { id: string; last_response: string; last_request: string; status: string }[];
    expect(delivery).to.include({ status: 'delivered', last_response: 'ok' });
    expect(JSON.parse(delivery!.last_request)).to.include({ type: 'webhook.test' });
    const again = await call(server.issuer, 'POST', `/v1/webhooks/${id}/deliveries/${delivery!.id}/redeliver`, manager);
    expect(again.status).to.equal(202);
    const [resent] = (await receiver.waitFor(before + 2)).slice(before + 1);
    expect(resent!.headers['webhook-id']).to.equal(test!.headers['webhook-id']);

    const disabled = await call(server.issuer, 'POST', `/v1/webhooks/${id}/disable`, manager);
    expect(disabled.body.disabled_at).to.be.a('string');
    expect(String(disabled.body.disabled_reason)).to.match(/^disabled by api_key:/);
    expect((await call(server.issuer, 'DELETE', `/v1/webhooks/${id}`, manager)).body).to.include({ deleted: true });
    const events = await server.latchkey.store.listTargetEvents(accountId, id, { limit: 10 });
    expect(events.map((e) => e.action)).to.include.members(['webhook.created', 'webhook.disabled', 'webhook.deleted']);
  });
});
