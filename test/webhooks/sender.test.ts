// The sender's own checks, without a server: where a delivery may go is decided at send time from
// the resolved address; a blocked or slow target is a failed attempt in our words.
import { expect } from 'chai';
import { pinned, resolveTarget } from '../../server/http/outbound-url.ts';
import { sendDelivery } from '../../server/webhooks/sender.ts';
import { openSigningSecret, sealSigningSecret, generateSigningSecret } from '../../server/webhooks/secrets.ts';
import { outcomeOf } from '../../server/webhooks/backoff.ts';
import { Pepper } from '../../server/secrets.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import type { WebhookDelivery } from '../../adapters/contract.ts';

describe('webhook sender', () => {
  let receiver: Receiver;
  before(async () => { receiver = await startReceiver(); });
  after(() => receiver.close());

  it('refuses loopback, private, link-local and metadata addresses in production, before connecting', async () => {
    for (const href of ['https://127.0.0.1/x', 'https://localhost/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest', 'https://[fe80::1]/x', 'https://[::ffff:192.168.0.1]/x']) {
      const target = await resolveTarget(new URL(href), true);
      expect(target, href).to.be.a('string').and.match(/^refused: /);
    }
    const port = new URL(receiver.url).port;
    const result = await sendDelivery(`https://localhost:${port}/hook`, {}, '{}', { timeout: 1000, production: true });
    expect(result).to.deep.include({ ok: false, statusCode: undefined });
    expect(result.error).to.include('loopback');
    expect(receiver.received).to.have.length(0);
  });

  it('allows loopback outside production, and pins the checked address', async () => {
    expect(await resolveTarget(new URL('http://127.0.0.1/x'), false)).to.deep.equal({ address: '127.0.0.1', family: 4 });
    expect(await resolveTarget(new URL('http://10.0.0.1/x'), false)).to.match(/private/);
    const port = new URL(receiver.url).port;
    const result = await sendDelivery(`http://localhost:${port}/hook`, { 'webhook-id': 'msg_1' }, '{"a":1}', { timeout: 1000, production: false });
    expect(result).to.deep.include({ ok: true, statusCode: 200 });
    expect(receiver.received.at(-1)).to.deep.include({ body: '{"a":1}', path: '/hook' });
  });

  it('connects only to the checked address, whatever name a second lookup is asked for', async () => {
    const lookup = pinned({ address: '203.0.113.9', family: 4 });
    const one = await new Promise((resolve) => { lookup('elsewhere.example', { all: false }, (_err, address, family) => resolve([address, family])); });
    expect(one).to.deep.equal(['203.0.113.9', 4]);
    const all = await new Promise((resolve) => { lookup('elsewhere.example', { all: true }, (_err, addresses) => resolve(addresses)); });
    expect(all).to.deep.equal([{ address: '203.0.113.9', family: 4 }]);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    receiver.hold = () => true;
    const started = Date.now();
    const result = await sendDelivery(receiver.url, {}, '{}', { timeout: 300, production: false });
    receiver.hold = undefined;
    expect(result.ok).to.equal(false);
    expect(result.error).to.include('no answer within 300 ms');
    expect(Date.now() - started).to.be.below(2000);
  });

  it('refuses plain http in production', async () => {
    const result = await sendDelivery('http://example.com/hook', {}, '{}', { timeout: 300, production: true });
    expect(result.error).to.include('https');
  });
});

describe('webhook signing secrets', () => {
  const pepper = new Pepper(Buffer.alloc(32, 7));
  it('open only for their webhook and under their pepper', () => {
    const secret = generateSigningSecret();
    expect(Buffer.from(secret.slice(6), 'base64')).to.have.length(32);
    const sealed = sealSigningSecret(pepper, 'wh_1', secret);
    expect(sealed).not.to.include(secret.slice(6));
    expect(openSigningSecret(pepper, 'wh_1', sealed)).to.equal(secret);
    expect(openSigningSecret(pepper, 'wh_2', sealed)).to.equal(undefined);
    expect(openSigningSecret(new Pepper(Buffer.alloc(32, 8)), 'wh_1', sealed)).to.equal(undefined);
    expect(openSigningSecret(pepper, 'wh_1', undefined)).to.equal(undefined);
  });
});

describe('webhook retry schedule', () => {
  const delivery = (attempts: number) => ({ attempts } as WebhookDelivery);
  const failed = { ok: false, statusCode: 500, error: 'the receiver answered 500' };
  const at = new Date(0);
  it('waits the schedule\'s next step after each failure, then fails for good', () => {
    expect(outcomeOf(delivery(0), failed, [1000, 5000], at)).to.deep.include({ status: 'pending', nextAttemptAt: new Date(1000) });
    expect(outcomeOf(delivery(1), failed, [1000, 5000], at)).to.deep.include({ status: 'pending', nextAttemptAt: new Date(5000) });
    expect(outcomeOf(delivery(2), failed, [1000, 5000], at)).to.deep.include({ status: 'failed', statusCode: 500 });
    expect(outcomeOf(delivery(2), { ok: true, statusCode: 204, error: undefined }, [1000], at)).to.deep.include({ status: 'delivered' });
  });
});
