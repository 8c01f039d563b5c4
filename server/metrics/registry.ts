// Latchkey's Prometheus metrics. One registry per Latchkey instance (never prom-client's global
// one), so several servers in one process, as in the tests, each count only their own requests.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RefreshRetryStats } from '../oidc/refresh-retry.ts';


export function createMetrics(refreshStats: RefreshRetryStats) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const metrics = {
    registry,
    tokensIssued: new Counter({
      name: 'latchkey_tokens_issued_total',
      help: 'Successful token endpoint answers, by grant type and client environment.',
      labelNames: ['grant_type', 'environment'] as const,
      registers,
    }),
    tokenErrors: new Counter({
      name: 'latchkey_token_errors_total',
      help: 'Token endpoint error answers, by OAuth error code.',
      labelNames: ['error'] as const,
      registers,
    }),
    guardVerifications: new Counter({
      name: 'latchkey_guard_verifications_total',
      help: 'Credentials checked by the resource-server guard, by kind and outcome.',
      labelNames: ['credential', 'outcome'] as const,
      registers,
    }),
    apiKeyEvents: new Counter({
      name: 'latchkey_api_key_events_total',
      help: 'API keys created, rolled and revoked (written with their audit event).',
      labelNames: ['action'] as const,
      registers,
    }),
    apiKeysExposed: new Counter({
      name: 'latchkey_api_keys_revoked_exposed_in_url_total',
      help: 'API keys revoked because they were sent in a URL (also counted in latchkey_api_key_events_total).',
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'latchkey_webhook_attempts_total',
      help: 'Webhook delivery attempts, by what became of the delivery: delivered, retrying or failed (for good).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    mailAttempts: new Counter({
      name: 'latchkey_mail_attempts_total',
      help: 'Attempts to send a mail of the outbox, by what became of it: sent, retry or failed (for good).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    signIn: new Counter({
      name: 'latchkey_sign_in_refusals_total',
      help: 'Sign-in attempts refused: a wrong email or password (failure) or a wait imposed by the limits (throttled).',
      labelNames: ['reason'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'latchkey_http_request_duration_seconds',
      help: 'HTTP request duration, by route template (never the raw path).',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    storeDuration: new Histogram({
      name: 'latchkey_store_operation_duration_seconds',
      help: 'Store operation duration, by method name and whether it succeeded.',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers,
    }),
  };

  // The refresh-retry layer keeps plain numbers; they are read only when Prometheus scrapes.
  const refreshGauges = [
    ['latchkey_refresh_reuse_detected_total', 'Spent refresh tokens presented again: the grant was revoked.', 'reuseDetected'],
    ['latchkey_refresh_retries_served_total', 'Refresh repeats inside the retry window answered with the first answer.', 'retriesServed'],
    ['latchkey_refresh_races_coalesced_total', 'Parallel duplicate refreshes that waited for the first one.', 'racesCoalesced'],
  ] as const;
  for (const [name, help, field] of refreshGauges) {
    new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(refreshStats[field]);
      },
    });
  }
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** How long a count of API-key hashes by pepper is reused between scrapes (it reads every key). */
const PEPPER_COUNT_CACHE_MS = 60_000;

/**
 * The key material, seen: signing keys by state (a rotation under way shows a `next` key) and
 * unrevoked API-key hashes by pepper (a retired pepper may go once its count is 0).
 */
export function keyMaterialMetrics(metrics: Metrics, sources: {
  signingKeyStates: () => readonly string[];
  hashesByPepper: () => Promise<Record<string, number>>;
  storeCommits: () => number | undefined;
  storeSyncs: () => number | undefined;
}): void {
  const registers = [metrics.registry];
  const counted = (name: string, help: string, read: () => number | undefined) => new Counter({
    name, help, registers,
    collect() {
      const value = read();
      if (value === undefined) return;
      this.reset();
      this.inc(value);
    },
  });
  counted('latchkey_store_commits_total', 'Commits of the embedded store by this process: one per batch of the writes made together.', sources.storeCommits);
  counted('latchkey_store_syncs_total', 'fsyncs of the embedded store\'s write-ahead log by this process: one for the batches committed while the last ran.', sources.storeSyncs);
  new Gauge({
    name: 'latchkey_signing_keys', help: 'Signing keys by state: next, active, retiring, retired.', labelNames: ['state'] as const, registers,
    collect() {
      this.reset();
      for (const state of ['next', 'active', 'retiring', 'retired']) this.set({ state }, sources.signingKeyStates().filter((s) => s === state).length);
    },
  });
  let cached: { at: number; counts: Record<string, number> } | undefined;
  new Gauge({
    name: 'latchkey_api_key_hashes', help: 'Unrevoked API keys by the pepper their hash was made under.', labelNames: ['pepper'] as const, registers,
    async collect() {
      if (!cached || Date.now() - cached.at > PEPPER_COUNT_CACHE_MS) cached = { at: Date.now(), counts: await sources.hashesByPepper() };
      this.reset();
      for (const [pepper, n] of Object.entries(cached.counts)) this.set({ pepper }, n);
    },
  });
}
