// The instrumentation floor: what issue 28 requires to stay on around token issuance (a request id,
// the security headers, request metrics and one structured log line per request), made by
// Latchkey's own parts (the security-headers middleware, the metrics registry, the logger) and
// called directly around bare oidc-provider, with nothing else: no Koa application of ours, no
// hooks, no rate limits. bench/run.ts measures it beside bare oidc-provider and Latchkey, so a run
// shows how much of the client-credentials gap those requirements alone cost on its machine.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { securityHeaders } from '../server/http/security-headers.ts';
import { consoleLogger } from '../server/log.ts';
import { createMetrics } from '../server/metrics/registry.ts';

export function withInstrumentation(issuer: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestListener {
  const setHeaders = securityHeaders(issuer);
  const metrics = createMetrics({ retriesServed: 0, racesCoalesced: 0, reuseDetected: 0 });
  const log = consoleLogger;
  return (req, res) => {
    const started = performance.now();
    const id = randomUUID();
    res.setHeader('X-Request-Id', id);
    const path = req.url!.split('?', 1)[0]!;
    // The middleware reads only the path and sets headers on the response.
    void setHeaders({ path, res, set: (name: string, value: string) => res.setHeader(name, value) } as unknown as Context, () => Promise.resolve());
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.once('finish', () => {
      end({ route: 'token', status: String(res.statusCode) });
      if (res.statusCode === 200) metrics.tokensIssued.inc({ grant_type: 'client_credentials', environment: 'test' });
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const fields = { request_id: id, method: req.method, path, status: res.statusCode, ms, client_id: 'bench' };
      if (log.infoUnredacted) log.infoUnredacted('request', fields);
      else log.info('request', fields);
    });
    void handle(req, res);
  };
}
