// Probes: /healthz answers whenever the process does (liveness); /readyz answers 200 only when the
// store answers within its bound (readiness), else 503 naming the reason. Outages are injected into
// the running store as in test/server/store-outage.test.ts.
import { expect } from 'chai';
import { StoreUnavailableError } from '../../adapters/contract.ts';
import { READY_TIMEOUT_MS } from '../../server/metrics/endpoint.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('health probes', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  function injectPing(ping: () => Promise<void>): () => void {
    const { store } = server.latchkey;
    const original = store.ping.bind(store);
    store.ping = ping;
    return () => { store.ping = original; };
  }

  it('/healthz answers 200 without touching the store, even during an outage', async () => {
    let pinged = 0;
    const restore = injectPing(() => { pinged += 1; return Promise.reject(new StoreUnavailableError('injected outage')); });
    try {
      const response = await fetch(`${server.issuer}/healthz`);
      expect(response.status).to.equal(200);
      expect(await response.json()).to.deep.equal({ status: 'ok' });
      expect(pinged).to.equal(0);
    } finally {
      restore();
    }
  });

  it('/readyz answers 200, then 503 naming the reason while the store is down, then 200 again', async () => {
    const ready = await fetch(`${server.issuer}/readyz`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.include({ status: 'ok' });

    const restore = injectPing(() => Promise.reject(new StoreUnavailableError('injected outage')));
    try {
      const down = await fetch(`${server.issuer}/readyz`);
      expect(down.status).to.equal(503);
      expect(down.headers.get('cache-control')).to.equal('no-store');
      expect(await down.json()).to.deep.equal({ status: 'unavailable', reason: 'store unavailable' });
    } finally {
      restore();
    }
    expect((await fetch(`${server.issuer}/readyz`)).status).to.equal(200);
  });

  it(`/readyz answers 503 when the store does not answer within ${READY_TIMEOUT_MS} ms`, async function () {
    this.timeout(READY_TIMEOUT_MS + 5000);
    const restore = injectPing(() => new Promise(() => {}));
    try {
      const started = Date.now();
      const slow = await fetch(`${server.issuer}/readyz`);
      expect(slow.status).to.equal(503);
      expect(await slow.json()).to.deep.equal({ status: 'unavailable', reason: `store did not answer within ${READY_TIMEOUT_MS / 1000} s` });
      expect(Date.now() - started).to.be.below(READY_TIMEOUT_MS + 1000);
    } finally {
      restore();
    }
  });
});
