// Settings: parsed and validated once at boot. A wrong value stops the server with a message that
// names the variable and says what is allowed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LIFETIMES, SHUTDOWN, WINDOW_SETTINGS, humanDuration, type WindowName } from './lifetimes.ts';
import { LIMITS } from './limits.ts';
import { resourceClashWithIssuer } from './catalog-file.ts';
import { parseMailSettings, type MailSettings } from './mail-settings.ts';
import { parseWebhooks, type WebhookSettings } from './webhook-settings.ts';
export type { WebhookSettings } from './webhook-settings.ts';
import { parseAgentSettings, parseRegistration, type AgentSettings, type RegistrationPolicy } from './registration.ts';
export type { RegistrationPolicy } from './registration.ts';
import { SettingsError, parseCount } from './settings-error.ts';
import { BUILTIN_RESOURCE, CATALOG_PROBLEM, OPERATOR_RESOURCES, PARTNER_API_ENABLED, resourceUrl } from './scopes.ts';

export type NodeEnv = 'development' | 'production' | 'test';

export interface Settings {
  readonly port: number;
  readonly host: string;
  /** Issuer URL without a trailing slash. */
  readonly issuer: string;
  readonly dataDir: string;
  readonly mongodbUri: string | undefined;
  readonly mongodbDatabase: string;
  readonly nodeEnv: NodeEnv;
  /** Trust X-Forwarded-* headers (set when behind a reverse proxy or load balancer). */
  readonly trustProxy: boolean;
  /** Live API keys one account may hold (LATCHKEY_API_KEYS_PER_ACCOUNT, default LIMITS.apiKeysPerAccount). */
  readonly apiKeysPerAccount: number;
  /** OAuth clients one account may hold (LATCHKEY_CLIENTS_PER_ACCOUNT, default LIMITS.clientsPerAccount). */
  readonly clientsPerAccount: number;
  /** Time windows in seconds (WINDOW_SETTINGS): the LIFETIMES default unless the environment sets one. */
  readonly windows: Readonly<Record<WindowName, number>>;
  /** METRICS_TOKEN(_FILE): /metrics requires it as a bearer token. */
  readonly metricsToken: string | undefined;
  /** METRICS_PORT: /metrics is served on this port (on HOST) and not on the main one. */
  readonly metricsPort: number | undefined;
  /** LATCHKEY_SHUTDOWN_DRAIN: after SIGTERM, how long /readyz answers 503 while requests are still served. */
  readonly shutdownDrainSeconds: number;
  /** LATCHKEY_SIGNING_KEY_ROTATION: generated signing keys rotate on their own this often; unset: by hand only. */
  readonly signingKeyRotationSeconds: number | undefined;
  /**
   * LATCHKEY_PARTNER_API (on unless `off`) and LATCHKEY_CATALOG_FILE, as config/scopes.ts read them
   * from the process environment when first imported: one catalog for the whole process.
   */
  readonly partnerApi: boolean;
  readonly catalogFile: string | undefined;
  /** LATCHKEY_GITHUB_SCANNING_KEYS_FILE: GitHub's secret-scanning public keys (its `public_keys` document). */
  readonly githubScanningKeysFile: string | undefined;
  /** Webhook delivery (LATCHKEY_WEBHOOK_*), in milliseconds. */
  readonly webhooks: WebhookSettings;
  /** LATCHKEY_SMTP_URL(_FILE) and LATCHKEY_MAIL_FROM: how mail leaves (config/mail-settings.ts). */
  readonly mail: MailSettings;
  /**
   * LATCHKEY_REGISTRATION: dynamic client registration (RFC 7591). `off` (default); `token`: with an
   * initial access token an account made; `open`: anyone, as an unverified client (docs/agents.md).
   */
  readonly registration: RegistrationPolicy;
  /** LATCHKEY_CLIENT_ID_METADATA and the limits on unverified apps (config/registration.ts). */
  readonly agents: AgentSettings;
  /** Secrets given by the operator; anything missing is generated once and kept in the store. */
  readonly secrets: {
    readonly jwks: string | undefined;
    readonly cookieKeys: string | undefined;
    readonly pepper: string | undefined;
  };
}


export { SettingsError } from './settings-error.ts';

type Env = Readonly<Record<string, string | undefined>>;

function parsePort(env: Env): number {
  const raw = env.PORT ?? '3000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SettingsError('PORT', `"${raw}" is not a port number; use an integer from 0 to 65535 (0 picks a free port)`);
  }
  return port;
}

function parseNodeEnv(env: Env): NodeEnv {
  const raw = env.NODE_ENV ?? 'development';
  if (raw !== 'development' && raw !== 'production' && raw !== 'test') {
    throw new SettingsError('NODE_ENV', `"${raw}" is not allowed; use development, production or test`);
  }
  return raw;
}

function parseIssuer(env: Env, port: number, nodeEnv: NodeEnv): string {
  const raw = env.ISSUER ?? `http://localhost:${port}`;
  const url = URL.parse(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SettingsError('ISSUER', `"${raw}" is not an http(s) URL, for example https://auth.example.com`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new SettingsError('ISSUER', `"${raw}" must not contain a query, a fragment or credentials`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (nodeEnv === 'production' && url.protocol !== 'https:' && !local) {
    throw new SettingsError('ISSUER', `"${raw}" must use https in production`);
  }
  return url.href.replace(/\/$/, '');
}

function parseMongoUri(env: Env): string | undefined {
  const raw = env.MONGODB_URI;
  if (raw === undefined || raw === '') return undefined;
  if (!/^mongodb(\+srv)?:\/\/[^/]+/.test(raw)) {
    throw new SettingsError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv:// followed by a host');
  }
  return raw;
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new SettingsError(name, `"${raw}" is not allowed; use true or false`);
}

/** A secret is given either inline (NAME) or as a file path (NAME_FILE), never both. */
function readSecret(env: Env, name: string): string | undefined {
  const inline = env[name];
  const file = env[`${name}_FILE`];
  if (inline && file) throw new SettingsError(name, `set either ${name} or ${name}_FILE, not both`);
  if (inline) return inline;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new SettingsError(`${name}_FILE`, `cannot read "${file}": ${(err as Error).message}`);
  }
}

function parseHost(env: Env): string {
  const raw = env.HOST ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw)) {
    throw new SettingsError('HOST', `"${raw}" is not a host name or IP address, for example 127.0.0.1 or 0.0.0.0`);
  }
  return raw;
}

function parseDatabaseName(env: Env): string {
  const raw = env.MONGODB_DATABASE ?? 'latchkey';
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(raw)) {
    throw new SettingsError('MONGODB_DATABASE', `"${raw}" is not a database name; use letters, digits, _ and -`);
  }
  return raw;
}

const DURATION = /^(\d+)(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "30s", "15m", "24h", "7d" or plain seconds; undefined when it is none of these. */
export function durationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

function parseWindows(env: Env): Record<WindowName, number> {
  const windows = {} as Record<WindowName, number>;
  for (const [name, { variable, min, max }] of Object.entries(WINDOW_SETTINGS) as [WindowName, typeof WINDOW_SETTINGS[WindowName]][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      windows[name] = LIFETIMES[name];
      continue;
    }
    const seconds = durationSeconds(raw);
    if (seconds === undefined || seconds < min || seconds > max) {
      throw new SettingsError(variable, `"${raw}" is not allowed; use a duration from ${min} to ${max} seconds, `
        + `such as 30s, 15m or 1h (default ${humanDuration(LIFETIMES[name])})`);
    }
    windows[name] = seconds;
  }
  return windows;
}

/** Latchkey never terminates TLS: behind an https issuer only the proxy can say a request came over https. */
function parseTrustProxy(env: Env, nodeEnv: NodeEnv, issuer: string): boolean {
  const trustProxy = parseBoolean(env, 'TRUST_PROXY', false);
  if (nodeEnv === 'production' && issuer.startsWith('https:') && !trustProxy) {
    throw new SettingsError('TRUST_PROXY', `must be true in production with an https ISSUER (${issuer}): Latchkey does not `
      + 'terminate TLS, so only the proxy in front can say a request came over https; set TRUST_PROXY=true and have '
      + 'the proxy send X-Forwarded-Proto and X-Forwarded-Host');
  }
  return trustProxy;
}

function parseMetricsToken(env: Env): string | undefined {
  const token = readSecret(env, 'METRICS_TOKEN');
  if (token !== undefined && !/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new SettingsError('METRICS_TOKEN', 'must be at least 16 printable characters without spaces');
  }
  return token;
}

function parseMetricsPort(env: Env, port: number): number | undefined {
  const raw = env.METRICS_PORT;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535 || (n !== 0 && n === port)) {
    throw new SettingsError('METRICS_PORT', `"${raw}" is not allowed; use a port number from 0 to 65535 other than PORT (0 picks a free port)`);
  }
  return n;
}

/** A production instance drains by default; a development one stops at once (Ctrl-C should be quick). */
function parseShutdownDrain(env: Env, nodeEnv: NodeEnv): number {
  const raw = env.LATCHKEY_SHUTDOWN_DRAIN;
  if (raw === undefined || raw === '') return nodeEnv === 'production' ? SHUTDOWN.drainSeconds : 0;
  const seconds = durationSeconds(raw);
  if (seconds === undefined || seconds > SHUTDOWN.maxDrainSeconds) {
    throw new SettingsError('LATCHKEY_SHUTDOWN_DRAIN', `"${raw}" is not allowed; use a duration from 0 to ${SHUTDOWN.maxDrainSeconds} seconds, such as 15s `
      + `(default ${SHUTDOWN.drainSeconds} seconds in production, 0 otherwise)`);
  }
  return seconds;
}

const ROTATION_MIN_SECONDS = 3600;
const ROTATION_MAX_SECONDS = 3650 * 86400;

function parseSigningKeyRotation(env: Env, jwksGiven: boolean): number | undefined {
  const raw = env.LATCHKEY_SIGNING_KEY_ROTATION;
  if (raw === undefined || raw === '') return undefined;
  const seconds = durationSeconds(raw);
  if (seconds === undefined || seconds < ROTATION_MIN_SECONDS || seconds > ROTATION_MAX_SECONDS) {
    throw new SettingsError('LATCHKEY_SIGNING_KEY_ROTATION', `"${raw}" is not allowed; use a duration from 1h to 3650d, such as 90d`);
  }
  if (jwksGiven) {
    throw new SettingsError('LATCHKEY_SIGNING_KEY_ROTATION', 'rotates generated signing keys only; keys given in LATCHKEY_JWKS rotate by hand (docs/operations.md, "Rotating the signing keys")');
  }
  return seconds;
}

/** The catalog was read at import (config/scopes.ts); its problems, and a resource that is the issuer's, stop the boot here. */
function checkCatalog(issuer: string): void {
  const problem = CATALOG_PROBLEM ?? resourceClashWithIssuer(OPERATOR_RESOURCES, issuer, resourceUrl(BUILTIN_RESOURCE, issuer));
  if (problem) throw new SettingsError(problem.field, problem.problem);
}

export function loadSettings(env: Env = process.env): Settings {
  const port = parsePort(env);
  const nodeEnv = parseNodeEnv(env);
  const issuer = parseIssuer(env, port, nodeEnv);
  checkCatalog(issuer);
  return {
    port,
    host: parseHost(env),
    issuer,
    dataDir: resolve(env.DATA_DIR || './data'),
    mongodbUri: parseMongoUri(env),
    mongodbDatabase: parseDatabaseName(env),
    nodeEnv,
    trustProxy: parseTrustProxy(env, nodeEnv, issuer),
    windows: parseWindows(env),
    metricsToken: parseMetricsToken(env),
    metricsPort: parseMetricsPort(env, port),
    shutdownDrainSeconds: parseShutdownDrain(env, nodeEnv),
    signingKeyRotationSeconds: parseSigningKeyRotation(env, readSecret(env, 'LATCHKEY_JWKS') !== undefined),
    partnerApi: PARTNER_API_ENABLED,
    catalogFile: process.env.LATCHKEY_CATALOG_FILE || undefined,
    githubScanningKeysFile: env.LATCHKEY_GITHUB_SCANNING_KEYS_FILE || undefined,
    apiKeysPerAccount: parseCount(env, 'LATCHKEY_API_KEYS_PER_ACCOUNT', LIMITS.apiKeysPerAccount, 1_000_000),
    clientsPerAccount: parseCount(env, 'LATCHKEY_CLIENTS_PER_ACCOUNT', LIMITS.clientsPerAccount, 100_000),
    webhooks: parseWebhooks(env),
    mail: parseMailSettings(env, issuer, readSecret(env, 'LATCHKEY_SMTP_URL')),
    registration: parseRegistration(env),
    agents: parseAgentSettings(env),
    secrets: {
      jwks: readSecret(env, 'LATCHKEY_JWKS'),
      cookieKeys: readSecret(env, 'LATCHKEY_COOKIE_KEYS'),
      pepper: readSecret(env, 'LATCHKEY_PEPPER'),
    },
  };
}
