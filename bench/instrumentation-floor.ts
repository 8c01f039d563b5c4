// The floors: bare oidc-provider with only what issue 28 requires to stay on (a request id, the
// security headers, request metrics and one structured log line per request), made by Latchkey's
// own parts (the security-headers middleware, the metrics registry, the logger) and called directly,
// with nothing else: no Koa application of ours, no hooks, no rate limits. For refresh, its records
// are also in Latchkey's embedded store, durable by group commit as Latchkey's are, where the bare
// provider keeps them in memory. bench/run.ts measures them beside bare oidc-provider and Latchkey,
// so a run shows how much of each gap those requirements alone cost on its machine.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { securityHeaders } from '../server/http/security-headers.ts';
import type { OidcPayload } from '../adapters/contract.ts';
import { loadSettings } from '../config/settings.ts';
import { consoleLogger } from '../server/log.ts';
import { createMetrics } from '../server/metrics/registry.ts';
import { newRefreshRetryStats } from '../server/oidc/refresh-retry.ts';
import { openStore } from '../server/store.ts';

export function withInstrumentation(issuer: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestListener {
  const setHeaders = securityHeaders(issuer);
  const metrics = createMetrics(newRefreshRetryStats());
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
      end({ route: path, status: String(res.statusCode) });
      if (path === '/token' && res.statusCode === 200) metrics.tokensIssued.inc({ grant_type: 'bench', environment: 'test' });
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const fields = { request_id: id, method: req.method, path, status: res.statusCode, ms, client_id: 'bench' };
      if (log.infoUnredacted) log.infoUnredacted('request', fields);
      else log.info('request', fields);
    });
    void handle(req, res);
  };
}

/**
 * For the refresh floor: oidc-provider's records in Latchkey's embedded store (durable by group
 * commit, as Latchkey's are) instead of its memory adapter, with nothing else of Latchkey's adapter.
 */
export async function durableAdapter(dataDir: string) {
  const store = await openStore(loadSettings({ ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, MONGODB_URI: '', ISSUER: 'http://127.0.0.1' }));
  const records = store.oidc;
  return class DurableRecords {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    upsert(id: string, payload: OidcPayload, expiresIn: number) { return records.upsert(this.name, id, payload, expiresIn); }
    find(id: string) { return records.find(this.name, id); }
    findByUid(uid: string) { return records.findByUid(this.name, uid); }
    findByUserCode(userCode: string) { return records.findByUserCode(this.name, userCode); }
    async consume(id: string) { await records.consume(this.name, id); }
    destroy(id: string) { return records.destroy(this.name, id); }
    async revokeByGrantId(grantId: string) { await records.revokeByGrantId(grantId, { reason: 'reused', actor: 'system', at: new Date() }); }
  };
}
