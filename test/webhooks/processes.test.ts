// Delivery guarantees across processes: two instances on one store send each delivery once; a
// process killed between commit and delivery leaves it to be delivered after a restart, with the
// same webhook-id (receivers deduplicate by it).
import { rmSync } from 'node:fs';
import { expect } from 'chai';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';
import { accountWithKey, dropDatabase, startInstance, stopInstance, storeEnv, type Instance } from './instances.ts';
import { sleep, startReceiver, verified, type Receiver } from './receiver.ts';

async function createWebhook(instance: Instance, key: string, url: string): Promise<string> {
  const res = await call(instance.url, 'POST', '/api/v1/webhooks', key, { url, events: ['contact.created'] });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  recordSecret(String(res.body.secret));
  return String(res.body.secret);
}

describe('webhook delivery across processes', function () {
  this.timeout(90_000);
  const instances: Instance[] = [];
  const receivers: Receiver[] = [];
  const dataDirs: string[] = [];
  const envs: Record<string, string>[] = [];

  async function setUp(name: string, settings: Record<string, string>) {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const port = await freePort();
    const env = { ...storeEnv(dataDir, name), ISSUER: `http://localhost:${port}`, ...settings };
    envs.push(env);
    const receiver = await startReceiver();
    receivers.push(receiver);
    return { env, port, receiver };
  }
  async function start(env: Record<string, string>, port: number): Promise<Instance> {
    const instance = await startInstance(env, port);
    instances.push(instance);
    return instance;
  }

  after(async () => {
    await Promise.all(instances.map((i) => stopInstance(i)));
    await Promise.all(receivers.map((r) => r.close()));
    for (const env of envs) await dropDatabase(env);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('two instances on one store deliver each of N events exactly once', async () => {
    const { env, port, receiver } = await setUp('two', { LATCHKEY_WEBHOOK_POLL: '50ms' });
    const [a, b] = await Promise.all([start(env, port), freePort().then((p) => start(env, p))]);
    const key = await accountWithKey(env, 'two@hooks.example');
    const secret = await createWebhook(a, key, receiver.url);
    const N = 30;
    await Promise.all(Array.from({ length: N }, (_, i) => call((i % 2 ? a : b).url, 'POST', '/api/v1/contacts', key, { name: `c${i}` })));
    const received = await receiver.waitFor(N, 20_000);
    await sleep(1500); // room for a duplicate to show up
    const ids = received.map((r) => r.headers['webhook-id']);
    expect(received).to.have.length(N);
    expect(new Set(ids).size).to.equal(N);
    const contacts = new Set(received.map((r) => verified(secret, r).data.id));
    expect(contacts.size).to.equal(N);
  });

  it('a process killed between commit and delivery delivers after restart, with the same webhook-id', async () => {
    const settings = { LATCHKEY_WEBHOOK_POLL: '100ms', LATCHKEY_WEBHOOK_TIMEOUT: '5s', LATCHKEY_WEBHOOK_LEASE: '6s' };
    const { env, port, receiver } = await setUp('kill', settings);
    let first = await start(env, port);
    const key = await accountWithKey(env, 'kill@hooks.example');
    const secret = await createWebhook(first, key, receiver.url);
    // The first request is held open: the process dies before it learns the outcome.
    receiver.hold = () => receiver.received.length === 1;
    const contact = await call(first.url, 'POST', '/api/v1/contacts', key, { name: 'Crash' });
    expect(contact.status).to.equal(201);
    const [held] = await receiver.waitFor(1);
    await stopInstance(first, 'SIGKILL');
    first = await start(env, port);
    const [, again] = await receiver.waitFor(2, 20_000);
    expect(again!.headers['webhook-id']).to.equal(held!.headers['webhook-id']);
    expect(verified(secret, again!).data.id).to.equal(contact.body.id);
    // Delivered now: no third request.
    await sleep(1000);
    expect(receiver.received).to.have.length(2);
  });
});
