// `latchkey pepper rotate` on a generated pepper: a new pepper becomes current in the store, running
// instances take it within seconds, webhook signing secrets are sealed again under it (deliveries
// still verify with the secret the partner holds), and old keys move to it on their first use.
import { expect } from 'chai';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { startChild, type Child } from '../catalog/child.ts';
import { startReceiver, verified, sleep, type Receiver } from '../webhooks/receiver.ts';

interface Rotation {
  added: string | null;
  resealed: { webhook_signing_secrets: number; two_factor_secrets: number; pending_mails: number; unreadable: number };
  current: string;
  peppers: { id: string; api_key_hashes: number; may_be_retired: boolean }[];
}

describe('latchkey pepper rotate (a generated pepper)', function () {
  this.timeout(60_000);
  let latchkey: Child;
  let receiver: Receiver;
  before(async () => {
    latchkey = await startChild({});
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await latchkey?.stop();
  });

  it('makes a new pepper current everywhere, reseals webhook secrets, and moves old keys on use', async () => {
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Rotate Co', '--email', `rotate-pepper.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13']);
    const oldKey = (await latchkey.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:contacts'])).key!;
    const client = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'ops', '--type', 'service', '--scopes', 'write:webhooks read:api_keys']);
    const token = (await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'write:webhooks read:api_keys')).access_token;
    const webhook = await call(latchkey.issuer, 'POST', '/v1/webhooks', token, { environment: 'test', url: receiver.url, events: ['api_key.revoked'] });
    expect(webhook.status, JSON.stringify(webhook.body)).to.equal(201);

    const result = await cli(['pepper', 'rotate', '--json'], latchkey.env);
    expect(result.code, result.stderr).to.equal(0);
    const rotation = JSON.parse(result.stdout) as Rotation;
    expect(rotation).to.deep.include({ added: '2', current: '2' });
    expect(rotation.resealed).to.deep.equal({ webhook_signing_secrets: 1, two_factor_secrets: 0, pending_mails: 0, unreadable: 0 });
    expect(rotation.peppers.find((p) => p.id === '1')).to.deep.include({ api_key_hashes: 1, may_be_retired: false });

    await sleep(6000); // every instance reads the store's key material every 5 seconds
    // A key the CLI makes now is hashed under pepper 2: the server has taken it.
    const newKey = (await latchkey.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:contacts'])).key!;
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', newKey)).status, 'a key made under pepper 2').to.equal(200);
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', oldKey)).status, 'a key made under pepper 1').to.equal(200);
    expect((await clientCredentials(await discover(latchkey.issuer), client.client_id!, client.client_secret!, 'read:api_keys')).access_token).to.be.a('string');

    // The delivery is signed with the secret the partner was given, opened from its new seal.
    const test = await call(latchkey.issuer, 'POST', `/v1/webhooks/${webhook.body.id as string}/test`, token);
    expect(test.status).to.equal(202);
    const [delivery] = await receiver.waitFor(1);
    expect(verified(webhook.body.secret as string, delivery!).type).to.equal('webhook.test');

    await sleep(300);
    const status = JSON.parse((await cli(['pepper', 'status', '--json'], latchkey.env)).stdout) as Rotation;
    expect(status.peppers.find((p) => p.id === '1'), 'the old key moved on its use').to.deep.include({ api_key_hashes: 0, may_be_retired: true });
  });
});

describe('forms across instances after a pepper rotation', function () {
  this.timeout(60_000);
  const instances: Child[] = [];
  after(async () => { for (const instance of instances) await instance.stop(); });

  /** Opens the sign-in page on one instance: its nonce cookie and the form's token. */
  async function signInForm(instance: Child): Promise<{ cookie: string; csrf: string }> {
    const page = await fetch(`${instance.issuer}/portal/login`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    return { cookie, csrf };
  }

  it('a form opened on one instance is taken by another, whichever booted before the rotation', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the instances share the embedded store's file here
    const before = await startChild({});
    instances.push(before);
    const email = `forms-across.${Date.now()}@example.com`;
    const password = 'correct horse battery staple 14';
    await before.latchkey(['account', 'create', '--name', 'Forms Co', '--email', email, '--password', password]);
    expect((await cli(['pepper', 'rotate', '--json'], before.env)).code).to.equal(0);
    const after = await startChild({ DATA_DIR: before.env.DATA_DIR! });
    instances.push(after);
    await sleep(6000); // the instance booted before takes the new pepper from the store

    for (const [from, to] of [[before, after], [after, before]] as const) {
      const { cookie, csrf } = await signInForm(from);
      const signIn = await fetch(`${to.issuer}/portal/login`, {
        method: 'POST', redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ _csrf: csrf, email, password }),
      });
      expect(signIn.status, `opened on ${from.issuer}, sent to ${to.issuer}`).to.equal(303);
    }
  });
});
