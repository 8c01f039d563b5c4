// What runs beside the requests, and the order things start and stop in: listening (then the
// webhook worker and the metrics port), the periodic sweep, the credentials poll, and a graceful
// close that lets requests and webhook sends in flight finish before the store closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { closeGracefully } from '../http/shutdown.ts';
import { describeExposure, listenForMetrics, metricsExposure } from '../metrics/endpoint.ts';
import { WebhookWorker } from '../webhooks/worker.ts';
import { removeUnusedRegistrations } from '../clients/unused-registrations.ts';
import type { Dependencies } from './dependencies.ts';
import { watchKeyMaterial } from './key-material-watch.ts';

const SWEEP_INTERVAL_MS = 60_000;

export interface Lifecycle {
  /** Starts listening on settings.host:settings.port; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /**
   * The first step of a shutdown: /readyz answers 503 and every response closes its connection,
   * for settings.shutdownDrainSeconds (less if `cut` aborts), while requests are still served.
   */
  drain(cut?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function lifecycle(d: Dependencies, app: Koa, rebuildProvider: () => void): Lifecycle {
  const { settings, store, log, metrics } = d;
  let server: Server | undefined;
  let metricsServer: Server | undefined;

  async function exposeMetrics(): Promise<void> {
    const exposure = metricsExposure(settings);
    if (exposure === 'port') metricsServer = await listenForMetrics(metrics, settings);
    log.info(describeExposure(exposure, settings, metricsServer?.address() as AddressInfo | undefined));
  }

  d.credentialsChanges.start();
  const signingKeys = watchKeyMaterial(d, rebuildProvider);
  log.info(`mail goes to ${d.mailer.transport.description}`);
  const sweeper = setInterval(() => {
    store.sweepExpired().catch((err: Error) => log.warn('sweeping expired records failed', { reason: err.message }));
    if (settings.registration === 'open') {
      removeUnusedRegistrations(store).catch((err: Error) => log.warn('removing unused registrations failed', { reason: err.message }));
    }
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  // Every instance delivers webhooks; leases in the store keep them from sending one delivery twice.
  const webhookWorker = new WebhookWorker({
    store, pepper: d.keys.pepper, settings: settings.webhooks, production: d.production, log,
    onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
  });

  return {
    listen() {
      return new Promise((resolve, reject) => {
        const handle = app.callback();
        server = createServer((req, res) => {
          // Draining: a client that keeps its connection would keep coming back here.
          if (d.draining.active) res.setHeader('Connection', 'close');
          void handle(req, res);
        });
        server.on('error', reject);
        server.listen(settings.port, settings.host, () => {
          webhookWorker.start();
          d.mailer.worker.start();
          exposeMetrics().then(() => resolve(server!.address() as AddressInfo), reject);
        });
      });
    },
    drain(cut) {
      return d.draining.run(settings.shutdownDrainSeconds, cut);
    },
    async close() {
      clearInterval(sweeper);
      signingKeys.stop();
      d.credentialsChanges.stop();
      d.clientAuthLimiter.close();
      // Sends in flight finish (each within the send timeout) and are recorded before the store closes.
      const workerStopped = Promise.all([webhookWorker.stop(), d.mailer.worker.stop()]);
      // Requests in flight finish (within a bound); idle keep-alive connections close now.
      if (server) await closeGracefully(server);
      // The metrics port is the last to go: a scrape sees the shutdown through.
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
      }
      await workerStopped;
      await store.close();
    },
  };
}
