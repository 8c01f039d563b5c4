// Latchkey's Prometheus metrics. One registry per Latchkey instance (never prom-client's global
// one), so several servers in one process, as in the tests, each count only their own requests.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
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
