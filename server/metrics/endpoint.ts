// Probes and the /metrics endpoint. /healthz says the process answers (it never touches the store,
// so a store outage does not get every instance restarted); /readyz says this instance can serve.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import type { Settings } from '../../config/settings.ts';
import type { Metrics } from './registry.ts';

/** How long /readyz waits for the store's ping. */
export const READY_TIMEOUT_MS = 2000;

export async function healthz(ctx: Context) {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { status: 'ok' };
}

/** Why this instance should not get traffic now; undefined when it is ready. */
async function notReadyReason(store: Store, keysLoaded: () => boolean): Promise<string | undefined> {
  if (!keysLoaded()) return 'key material not loaded';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`store did not answer within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
  });
  const ping = store.ping().then(() => undefined, () => 'store unavailable');
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function readyz(store: Store, keysLoaded: () => boolean, draining: () => boolean) {
  return async function readiness(ctx: Context) {
    ctx.set('Cache-Control', 'no-store');
    const reason = draining() ? 'shutting down: draining' : await notReadyReason(store, keysLoaded);
    if (reason) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { status: 'unavailable', reason };
      return;
    }
    ctx.body = { status: 'ok', store: store.kind };
  };
}

/** Where /metrics is served: open (outside production), behind a bearer token, on its own port, or nowhere. */
export type MetricsExposure = 'open' | 'token' | 'port' | 'off';

export function metricsExposure(settings: Settings): MetricsExposure {
  if (settings.metricsPort !== undefined) return 'port';
  if (settings.metricsToken !== undefined) return 'token';
  return settings.nodeEnv === 'production' ? 'off' : 'open';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Same-length digests, so the comparison takes the same time whatever was sent. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

interface Answer { status: number; type: string; body: string; headers: Record<string, string> }

async function scrape(metrics: Metrics, authorization: string | undefined, token: string | undefined): Promise<Answer> {
  if (token !== undefined && !bearerMatches(authorization, token)) {
    return { status: 401, type: 'text/plain', body: 'unauthorized\n', headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } };
  }
  return { status: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics(), headers: {} };
}

/** GET /metrics on the main port (open or with the token); a 404 when it lives elsewhere or nowhere. */
export function metricsRoute(metrics: Metrics, settings: Settings) {
  const exposure = metricsExposure(settings);
  async function serveMetrics(ctx: Context): Promise<void> {
    const answer = await scrape(metrics, ctx.get('authorization') || undefined, settings.metricsToken);
    ctx.set('Cache-Control', 'no-store');
    ctx.set(answer.headers);
    ctx.status = answer.status;
    ctx.type = answer.type;
    ctx.body = answer.body;
  }

  return function metricsEndpoint(ctx: Context, next: Next) {
    if (ctx.path !== '/metrics' || exposure === 'port' || exposure === 'off' || ctx.method !== 'GET') return next();
    return serveMetrics(ctx);
  };
}

/** The separate metrics listener for METRICS_PORT, on HOST; it answers /metrics and nothing else. */
export function listenForMetrics(metrics: Metrics, settings: Settings): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://metrics').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape(metrics, req.headers.authorization, settings.metricsToken).then((answer) => {
      res.writeHead(answer.status, { 'content-type': answer.type, 'cache-control': 'no-store', ...answer.headers }).end(answer.body);
    }, () => res.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(settings.metricsPort, settings.host, () => resolve(server));
  });
}

export function describeExposure(exposure: MetricsExposure, settings: Settings, address?: AddressInfo): string {
  switch (exposure) {
    case 'open': return 'metrics: /metrics is open on the main port (not production)';
    case 'token': return 'metrics: /metrics on the main port requires METRICS_TOKEN as a bearer token';
    case 'port': return `metrics: /metrics is served on ${settings.host}:${address?.port ?? settings.metricsPort} only`
      + (settings.metricsToken ? ', with METRICS_TOKEN as a bearer token' : '');
    case 'off': return 'metrics: /metrics is off in production; set METRICS_TOKEN or METRICS_PORT to serve it';
  }
}
