// Webhook delivery settings (LATCHKEY_WEBHOOK_*), in milliseconds: parsed once at boot by
// loadSettings (settings.ts), each refused with a message naming its variable.
import { WEBHOOK_DELIVERY } from './lifetimes.ts';
import { SettingsError } from './settings-error.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface WebhookSettings {
  readonly poll: number;
  /** The wait before each retry; a delivery gets 1 + its length attempts. */
  readonly retrySchedule: readonly number[];
  readonly disableAfter: number;
  readonly timeout: number;
  readonly lease: number;
}

const MS_DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "500ms", "5s", "30m", "2h", "3d"; undefined otherwise. */
export function durationMs(value: string): number | undefined {
  const match = MS_DURATION.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function parseMs(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const ms = durationMs(raw);
  if (ms === undefined || ms < min || ms > max) {
    throw new SettingsError(name, `"${raw}" is not allowed; use a duration from ${min} ms to ${max / 1000} s, such as 500ms, 5s, 30m, 2h or 3d`);
  }
  return ms;
}

function parseSchedule(env: Env): number[] {
  const name = 'LATCHKEY_WEBHOOK_RETRY_SCHEDULE';
  const raw = env[name];
  if (raw === undefined || raw === '') return [...WEBHOOK_DELIVERY.retrySchedule];
  const waits = raw.split(',').map((part) => durationMs(part));
  if (waits.length > 20 || waits.some((ms) => ms === undefined || ms < 100 || ms > 86_400_000)) {
    throw new SettingsError(name, `"${raw}" is not allowed; use up to 20 comma-separated durations from 100ms to 24h, such as 5s,5m,30m,2h,5h,8h,8h`);
  }
  return waits as number[];
}

export function parseWebhooks(env: Env): WebhookSettings {
  const timeout = parseMs(env, 'LATCHKEY_WEBHOOK_TIMEOUT', WEBHOOK_DELIVERY.timeout, 100, 60_000);
  const lease = parseMs(env, 'LATCHKEY_WEBHOOK_LEASE', WEBHOOK_DELIVERY.lease, 200, 3_600_000);
  // A live worker must never lose its lease mid-send, or a second instance would send it too.
  if (lease <= timeout) {
    throw new SettingsError('LATCHKEY_WEBHOOK_LEASE', `must be longer than LATCHKEY_WEBHOOK_TIMEOUT (${timeout} ms), so a delivery is not sent twice`);
  }
  return {
    poll: parseMs(env, 'LATCHKEY_WEBHOOK_POLL', WEBHOOK_DELIVERY.poll, 50, 60_000),
    retrySchedule: parseSchedule(env),
    disableAfter: parseMs(env, 'LATCHKEY_WEBHOOK_DISABLE_AFTER', WEBHOOK_DELIVERY.disableAfter, 1000, 365 * 86_400_000),
    timeout,
    lease,
  };
}
