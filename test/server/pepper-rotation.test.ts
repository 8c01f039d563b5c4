// Versioned peppers: after LATCHKEY_PEPPER=2:NEW,1:OLD every API key and client secret made under
// the old pepper still works and moves to the new one on its first use; `latchkey pepper rotate`
// seals webhook secrets and pending mail again under the new one; then the old pepper can be left
// out. Left out too early, the boot refuses with the count of hashes still under it, or naming the
// values still sealed under it.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { sample } from '../helpers/metrics.ts';
import { startMailbox, type Mailbox } from '../helpers/mailbox.ts';
import { cli, runNode } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';
import { startChild, type Child } from '../catalog/child.ts';
import { startReceiver, verified, type Receiver } from '../webhooks/receiver.ts';
import { SqliteStore } from '../../adapters/sqlite/index.ts';
import { parsePepper } from '../../server/keys.ts';
import { MailSealer } from '../../server/mail/messages.ts';

const newPepper = () => randomBytes(32).toString('base64url');

describe('rotating the pepper', function () {
  this.timeout(60_000);
  const OLD = newPepper();
  const NEW = newPepper();
  let latchkey: Child | undefined;
  let dataEnv: Record<string, string>;
  let keys: string[];
  let keyIds: string[];
  let client: { id: string; secret: string };
  let mailbox: Mailbox;
  let receiver: Receiver;
  let webhook: { id: string; secret: string };
  let email: string;

  async function restart(pepper: string): Promise<Child> {
    await latchkey?.stop();
    latchkey = await startChild({ ...dataEnv, LATCHKEY_SMTP_URL: mailbox.url, LATCHKEY_PEPPER: pepper });
    return latchkey;
  }

  const keyWorks = async (key: string) => (await call(latchkey!.issuer, 'GET', '/api/v1/contacts', key)).status === 200;
  const secretWorks = async () => {
    const as = await discover(latchkey!.issuer);
    try {
      await clientCredentials(as, client.id, client.secret, 'read:contacts');
      return true;
    } catch {
      return false;
    }
  };

  /** Asks for a password reset: a mail sealed under the current pepper, pending while the relay refuses it. */
  async function queueResetMail(): Promise<void> {
    const page = await fetch(`${latchkey!.issuer}/portal/forgot`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const sent = await fetch(`${latchkey!.issuer}/portal/forgot`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ _csrf: csrf, email }),
    });
    expect(sent.status).to.be.oneOf([200, 303]);
  }

  before(async () => {
    mailbox = await startMailbox();
    mailbox.refuseWith(451);
    receiver = await startReceiver();
    latchkey = await startChild({ LATCHKEY_SMTP_URL: mailbox.url, LATCHKEY_PEPPER: OLD });
    // The same store and the same other key material across restarts.
    dataEnv = Object.fromEntries(Object.entries(latchkey.env).filter(([name]) => ['DATA_DIR', 'MONGODB_URI', 'MONGODB_DATABASE'].includes(name)));
    email = `pepper.${Date.now()}@example.com`;
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Pepper Inc', '--email', email, '--password', 'correct horse battery staple 13']);
    keys = [];
    keyIds = [];
    for (let i = 0; i < 3; i += 1) {
      const made = await latchkey.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:contacts']);
      keys.push(made.key!);
      keyIds.push(made.id!);
    }
    const made = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts write:webhooks read:api_keys']);
    client = { id: made.client_id!, secret: made.client_secret! };
    expect(await keyWorks(keys[0]!)).to.equal(true);
    // Sealed under pepper 1: a webhook's signing secret, and a mail the relay refuses for now.
    const token = (await clientCredentials(await discover(latchkey.issuer), client.id, client.secret, 'write:webhooks read:api_keys')).access_token;
    const created = await call(latchkey.issuer, 'POST', '/v1/webhooks', token, { environment: 'test', url: receiver.url, events: ['api_key.revoked'] });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    webhook = { id: created.body.id as string, secret: created.body.secret as string };
    await queueResetMail();
  });
  after(async () => {
    await latchkey?.stop();
    await receiver?.close();
    await mailbox?.close();
  });

  it('with 2:NEW,1:OLD, the old keys and the old client secret work', async () => {
    await restart(`2:${NEW},1:${OLD}`);
    expect(await keyWorks(keys[0]!), 'a key made under pepper 1').to.equal(true);
    expect(await keyWorks(keys[1]!)).to.equal(true);
    expect(await secretWorks(), 'a client secret made under pepper 1').to.equal(true);
    // The moves to pepper 2 happen beside the answer: give them a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('latchkey pepper status counts the hashes under each pepper', async () => {
    const status = await latchkey!.latchkey(['pepper', 'status']) as unknown as { current: string; peppers: { id: string; api_key_hashes: number; may_be_retired: boolean }[] };
    expect(status.current).to.equal('2');
    const byId = Object.fromEntries(status.peppers.map((p) => [p.id, p]));
    expect(byId['1']).to.include({ api_key_hashes: 1, may_be_retired: false });
    expect(byId['2']).to.include({ api_key_hashes: 2, client_secret_hashes: 1 });
    expect(byId['1']).to.include({ client_secret_hashes: 0 });
    const metrics = await (await fetch(`${latchkey!.issuer}/metrics`)).text();
    expect(sample(metrics, 'latchkey_api_key_hashes', { pepper: '1' })).to.equal(1);
    expect(sample(metrics, 'latchkey_api_key_hashes', { pepper: '2' })).to.equal(2);
  });

  it('leaving pepper 1 out while a key still has its hash under it is refused at boot, with the count', async () => {
    const port = await freePort();
    const result = await runNode('server/main.ts', [], { ...latchkey!.env, LATCHKEY_PEPPER: `2:${NEW}`, PORT: String(port), ISSUER: `http://localhost:${port}` });
    expect(result.code).to.equal(1);
    expect(result.stderr, result.stderr).to.include('LATCHKEY_PEPPER: pepper 1 still has 1 API key hash and 0 client secret hashes');
  });

  it('once each was used (or revoked), pepper 1 is still needed for what is sealed under it', async () => {
    // The third key was not used since the rotation: revoked, as an operator would.
    await latchkey!.latchkey(['key', 'revoke', keyIds[2]!, '--reason', 'unused']);
    const port = await freePort();
    const result = await runNode('server/main.ts', [], { ...latchkey!.env, LATCHKEY_PEPPER: `2:${NEW}`, PORT: String(port), ISSUER: `http://localhost:${port}` });
    expect(result.code).to.equal(1);
    expect(result.stderr, result.stderr).to.include('LATCHKEY_PEPPER: values may still be sealed under pepper 1').and.include('latchkey pepper rotate');
  });

  it('latchkey pepper rotate seals them again under pepper 2, and says pepper 1 may go', async () => {
    const result = await cli(['pepper', 'rotate', '--json'], latchkey!.env);
    expect(result.code, result.stderr).to.equal(0);
    const rotation = JSON.parse(result.stdout) as { added: null; resealed: Record<string, number>; peppers: { id: string; may_be_retired: boolean; may_have_sealed_values: boolean }[] };
    expect(rotation.added, 'a given pepper is the operator\'s to add').to.equal(null);
    expect(rotation.resealed).to.deep.equal({ webhook_signing_secrets: 1, two_factor_secrets: 0, pending_mails: 1, unreadable: 0 });
    expect(rotation.peppers.find((p) => p.id === '1')).to.deep.include({ may_be_retired: true, may_have_sealed_values: false });
    if (!process.env.MONGODB_URI) {
      // The pending mail opens under pepper 2 alone now.
      const store = new SqliteStore(latchkey!.env.DATA_DIR!);
      try {
        const [mail] = (await store.listPendingMails({ limit: 10 })).filter((m) => m.to === email);
        expect(() => new MailSealer(parsePepper(`2:${NEW}`, 'test')).open(mail!)).not.to.throw();
        expect(() => new MailSealer(parsePepper(`1:${OLD}`, 'test')).open(mail!), 'no longer under pepper 1').to.throw();
      } finally {
        await store.close();
      }
    }
  });

  it('then pepper 1 can go: API keys, client secrets and webhook secrets work under pepper 2 alone', async () => {
    await restart(`2:${NEW}`);
    expect(await keyWorks(keys[0]!), 'moved on its use').to.equal(true);
    expect(await keyWorks(keys[1]!)).to.equal(true);
    expect(await secretWorks(), 'the client secret moved on its use').to.equal(true);
    const token = (await clientCredentials(await discover(latchkey!.issuer), client.id, client.secret, 'write:webhooks read:api_keys')).access_token;
    expect((await call(latchkey!.issuer, 'POST', `/v1/webhooks/${webhook.id}/test`, token)).status).to.equal(202);
    // The revocation earlier was delivered too: every delivery is signed with the secret the partner was given.
    const deliveries = await receiver.waitFor(2);
    expect(deliveries.map((d) => verified(webhook.secret, d).type)).to.include.members(['api_key.revoked', 'webhook.test']);
  });
});
