// Drain, then stop: on SIGTERM /readyz turns 503 at once while the instance still serves, for
// LATCHKEY_SHUTDOWN_DRAIN; only then does it stop accepting. A client that behaves like a load
// balancer (it polls /readyz and sends nothing new once that is 503) sees no error and no reset,
// and the metrics port answers through the drain.
import { once } from 'node:events';
import { expect } from 'chai';
import { startChild, type Child } from '../catalog/child.ts';
import { freePort } from '../helpers/server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DRAIN_SECONDS = 2;

/** A load balancer in miniature: while /readyz says ok, it keeps four requests going through this instance. */
function loadBalancer(issuer: string) {
  const stats = { served: 0, servedAfterSignal: 0, errors: [] as string[], ready: true, signalledAt: 0, notReadyAt: 0 };
  let stop = false;
  const poll = (async () => {
    while (!stop && stats.ready) {
      const res = await fetch(`${issuer}/readyz`).catch((err: Error) => err);
      if (res instanceof Error) stats.errors.push(`readyz: ${res.message}`);
      else if (res.status === 503) { stats.ready = false; stats.notReadyAt = Date.now(); }
      await sleep(50);
    }
  })();
  const worker = async () => {
    while (!stop && stats.ready) {
      const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`).catch((err: Error) => err);
      if (res instanceof Error) stats.errors.push(`${(res.cause as Error | undefined)?.message ?? res.message}`);
      else if (res.status !== 200) stats.errors.push(`status ${res.status}`);
      else {
        await res.arrayBuffer();
        stats.served += 1;
        if (stats.signalledAt) stats.servedAfterSignal += 1;
      }
    }
  };
  const workers = Promise.all([worker(), worker(), worker(), worker()]);
  return { stats, done: () => Promise.all([poll, workers]), halt: () => { stop = true; } };
}

describe('drain, then stop (SIGTERM)', function () {
  this.timeout(30_000);
  let latchkey: Child;
  let metricsPort: number;

  beforeEach(async () => {
    metricsPort = await freePort();
    latchkey = await startChild({ LATCHKEY_SHUTDOWN_DRAIN: `${DRAIN_SECONDS}s`, METRICS_PORT: String(metricsPort) });
  });
  afterEach(() => latchkey?.stop());

  it('turns /readyz 503 at once, serves through the drain, then stops: no error, no reset', async () => {
    const lb = loadBalancer(latchkey.issuer);
    await sleep(500);
    expect(lb.stats.served, 'traffic before the signal').to.be.greaterThan(10);
    lb.stats.signalledAt = Date.now();
    const exited = once(latchkey.process, 'exit');
    latchkey.process.kill('SIGTERM');

    // While draining: the main port still answers, and so does the metrics port.
    await sleep(300);
    const during = await fetch(`${latchkey.issuer}/readyz`);
    expect(during.status).to.equal(503);
    expect(await during.json()).to.deep.include({ status: 'unavailable', reason: 'shutting down: draining' });
    expect((await fetch(`${latchkey.issuer}/healthz`)).status, 'still serving').to.equal(200);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 'metrics through the drain').to.equal(200);

    await lb.done();
    const [code] = await exited as [number | null];
    const stoppedAfter = Date.now() - lb.stats.signalledAt;
    expect(lb.stats.errors).to.deep.equal([]);
    expect(lb.stats.notReadyAt - lb.stats.signalledAt, 'readiness turned within a poll or two').to.be.lessThan(500);
    expect(stoppedAfter, 'it waited for the drain').to.be.at.least(DRAIN_SECONDS * 1000);
    expect(code).to.equal(0);
  });

  it('a second signal skips what is left of the drain', async () => {
    const exited = once(latchkey.process, 'exit');
    const start = Date.now();
    latchkey.process.kill('SIGTERM');
    await sleep(200);
    expect((await fetch(`${latchkey.issuer}/readyz`)).status).to.equal(503);
    latchkey.process.kill('SIGTERM');
    await exited;
    expect(Date.now() - start).to.be.lessThan(DRAIN_SECONDS * 1000);
  });
});
