// `npm run bench` (issue 15): Latchkey as in production (NODE_ENV=production, embedded store, hashed
// secrets, audit, pino logs on, metrics and rate limits on) measured against a bare oidc-provider and
// against an unguarded route, in one run. Loads come from a separate process (bench/load.ts) on
// loopback; rounds alternate between the compared servers; each figure is the median of the rounds;
// any non-2xx answer fails its measure. `--json` adds one JSON object with the ratios, last line.
// Knobs: BENCH_SECONDS (per round, 5), BENCH_ROUNDS (>= 3, 3), BENCH_CONNECTIONS (32),
// BENCH_ONLY (cc|refresh|guard|key_lookup|soak), BENCH_SOAK_SECONDS (300; 0 skips the soak).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { LoadSpec } from './load.ts';
import { freePort, mintRefreshTokens, rssKiB, runLoad, startServer, stopChildren } from './processes.ts';
import { medianRps, printReport, type Ratio, type Scenario } from './report.ts';
import { basic, refreshTokens, seed, type Seeded } from './seed.ts';

const JSON_OUT = process.argv.includes('--json');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const ONLY = process.env.BENCH_ONLY;
const MEASURES = ['cc', 'refresh', 'guard', 'key_lookup', 'soak'] as const;
if (ONLY && !(MEASURES as readonly string[]).includes(ONLY)) throw new Error(`BENCH_ONLY must be one of ${MEASURES.join(', ')}`);
const wanted = (measure: typeof MEASURES[number]) => !ONLY || ONLY === measure;
const BIG_KEYS = Number(process.env.BENCH_BIG_KEYS ?? 1_000_000);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const root = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
// Also on an interrupt (processes.ts exits the process on SIGINT/SIGTERM after killing the children).
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const scenarios = new Map<string, Scenario>();
let rawVerifyMs = 0;
const soak = { rss60: null as number | null, rssEnd: null as number | null, errors: null as number | null, rate: 0, firstAt: 60, note: 'skipped' };

function latchkeyEnv(dataDir: string, port: number, accountId = ''): Record<string, string | undefined> {
  return {
    ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, MONGODB_URI: '', BENCH_ACCOUNT: accountId,
    // Production requires a relay; no measured path sends mail, so none listens there.
    LATCHKEY_SMTP_URL: 'smtp://127.0.0.1:2525',
  };
}

/** BENCH_PROFILE=DIR: each server writes a CPU profile there when it stops (bench/profile-layers.ts reads it). */
function profileArgs(name: string): string[] {
  const dir = process.env.BENCH_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.${process.pid}.cpuprofile`] : [];
}

async function startLatchkey(keys: number): Promise<{ port: number; seeded: Seeded; child: ChildProcess }> {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const port = await freePort();
  log(`seeding ${keys} API key(s) into ${dataDir}`);
  const seeded = await seed(latchkeyEnv(dataDir, port), keys);
  const child = await startServer('server.ts', latchkeyEnv(dataDir, port, seeded.accountId), profileArgs(`latchkey-${keys}`));
  return { port, seeded, child };
}

/** One scenario: a name and the load it sends (recomputed every round, e.g. for refresh chains). */
interface Load { name: string; spec: () => LoadSpec; after?: (r: Awaited<ReturnType<typeof runLoad>>) => void }

/** Warm-up, then ROUNDS rounds alternating over `loads`; a non-2xx answer fails that scenario. */
async function measure(loads: Load[]): Promise<void> {
  for (const load of loads) scenarios.set(load.name, { name: load.name, rounds: [] });
  for (let round = -1; round < ROUNDS; round += 1) {
    for (const load of loads) {
      const scenario = scenarios.get(load.name)!;
      if (scenario.failure) continue;
      const spec = { ...load.spec(), ...(round < 0 ? { seconds: Math.min(2, SECONDS) } : {}) };
      const result = await runLoad(spec);
      load.after?.(result);
      if (result.errors > 0) {
        scenario.failure = `${result.errors} error(s), first: ${result.firstError}`;
        log(`${load.name} FAILED: ${scenario.failure}`);
      } else if (round >= 0) {
        scenario.rounds.push(result);
        log(`${load.name} round ${round + 1}: ${result.rps.toFixed(0)} req/s`);
      }
    }
  }
}

function get(port: number, path: string, authorization?: string): LoadSpec {
  return { port, method: 'GET', path, headers: authorization ? { Authorization: authorization } : {}, connections: CONNECTIONS, seconds: SECONDS, mode: 'fixed' };
}

function tokenRequest(port: number, authorization: string, body: string, mode: LoadSpec['mode'] = 'fixed'): LoadSpec {
  return {
    port, method: 'POST', path: '/token', body, mode, connections: CONNECTIONS, seconds: SECONDS,
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
  };
}

/** A refresh-token chain per connection, continued from round to round. */
function refreshLoad(name: string, port: number, authorization: string, chains: string[]): Load {
  return {
    name,
    spec: () => ({ ...tokenRequest(port, authorization, 'grant_type=refresh_token', 'refresh'), refreshTokens: chains }),
    after: (r) => { chains.splice(0, chains.length, ...r.refreshTokens); },
  };
}

/** Compact ES256 JWTs signed with the server's key, each with its own jti; and one raw verify's cost. */
function coldTokens(seeded: Seeded, issuer: string, count: number, file: string): void {
  const key = createPrivateKey({ key: seeded.es256, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: seeded.es256.kid })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const payload = Buffer.from(JSON.stringify({
      iss: issuer, aud: `${issuer}/api`, sub: 'bench', client_id: 'bench', scope: 'read:contacts', account_id: seeded.accountId,
      env: 'test', jti: `bench-${i}`, iat: now, exp: now + 900,
    })).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    lines.push(`${header}.${payload}.${signature}`);
  }
  writeFileSync(file, lines.join('\n'));
  rawVerifyMs = rawVerify(createPublicKey(key), lines[0]!);
}

/** Milliseconds per node:crypto ES256 verification on a cached KeyObject, over many iterations. */
function rawVerify(key: KeyObject, jwt: string): number {
  const [h, p, s] = jwt.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s!, 'base64url');
  const iterations = 20_000;
  for (let i = 0; i < 1000; i += 1) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    if (!verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('raw verify failed');
  }
  return (performance.now() - started) / iterations;
}

async function clientCredentialsJwt(port: number, seeded: Seeded): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST', body: 'grant_type=client_credentials&scope=read:contacts',
    headers: { authorization: basic(seeded.service.clientId, seeded.service.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
  });
  const body = await response.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`client credentials: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function runSoak(child: ChildProcess, port: number, apiKey: string): Promise<void> {
  let capacity = medianRps(scenarios.get('api_key'));
  if (capacity === null) {
    await runLoad({ ...get(port, '/api/v1/contacts', `Bearer ${apiKey}`), seconds: 2 }); // warm-up
    capacity = (await runLoad(get(port, '/api/v1/contacts', `Bearer ${apiKey}`))).rps;
  }
  soak.rate = Math.round(capacity / 2);
  const firstAt = soak.firstAt = Math.min(60, SOAK_SECONDS / 2);
  log(`soak: ${soak.rate} req/s for ${SOAK_SECONDS} s; RSS at ${firstAt} s and at the end`);
  const timer = setTimeout(() => { soak.rss60 = rssKiB(child.pid!); }, firstAt * 1000);
  const result = await runLoad({ ...get(port, '/api/v1/contacts', `Bearer ${apiKey}`), connections: 8, seconds: SOAK_SECONDS, rate: soak.rate });
  clearTimeout(timer);
  soak.rssEnd = rssKiB(child.pid!);
  soak.errors = result.errors;
  soak.note = `${result.requests} requests at ${soak.rate} req/s, RSS ${soak.rss60} KiB at ${firstAt} s, ${soak.rssEnd} KiB at ${SOAK_SECONDS} s${result.firstError ? `, first error: ${result.firstError}` : ''}`;
}

async function main(): Promise<void> {
  const main = await startLatchkey(100);
  const { port, seeded } = main;
  const issuer = `http://127.0.0.1:${port}`;
  const barePort = await freePort();
  const keyFile = join(root, 'es256.json');
  writeFileSync(keyFile, JSON.stringify(seeded.es256), { mode: 0o600 });
  const bareSecret = seeded.service.clientSecret;
  const bare = wanted('cc') || wanted('refresh') ? await startServer('bare-provider.ts', {
    ...process.env, BARE_PORT: String(barePort), BARE_KEY_FILE: keyFile, BARE_RESOURCE: `http://127.0.0.1:${barePort}/api`,
    BARE_CLIENT_ID: 'bench', BARE_CLIENT_SECRET: bareSecret,
  }, profileArgs('bare')) : undefined;
  const ccBody = 'grant_type=client_credentials&scope=read:contacts';

  if (wanted('cc')) {
    await measure([
      { name: 'latchkey_cc', spec: () => tokenRequest(port, basic(seeded.service.clientId, seeded.service.clientSecret), ccBody) },
      { name: 'bare_cc', spec: () => tokenRequest(barePort, basic('bench', bareSecret), ccBody) },
    ]);
  }
  if (wanted('refresh')) {
    log(`obtaining ${CONNECTIONS} refresh tokens through the authorization code flow`);
    const ours = await refreshTokens(issuer, seeded, CONNECTIONS);
    const theirs = await mintRefreshTokens(bare!, CONNECTIONS);
    await measure([
      refreshLoad('latchkey_refresh', port, basic(seeded.web.clientId, seeded.web.clientSecret), ours),
      refreshLoad('bare_refresh', barePort, basic('bench', bareSecret), theirs),
    ]);
  }
  if (wanted('guard')) {
    const jwt = await clientCredentialsJwt(port, seeded);
    const tokensFile = join(root, 'cold-tokens.txt');
    const count = Number(process.env.BENCH_COLD_TOKENS ?? 6000 * SECONDS * (ROUNDS + 1));
    log(`signing ${count} distinct JWTs for jwt_cold`);
    coldTokens(seeded, issuer, count, tokensFile);
    let offset = 0;
    await measure([
      { name: 'baseline', spec: () => get(port, '/api/v1/baseline/contacts') },
      { name: 'api_key', spec: () => get(port, '/api/v1/contacts', `Bearer ${seeded.apiKey}`) },
      { name: 'jwt_cached', spec: () => get(port, '/api/v1/contacts', `Bearer ${jwt}`) },
      { name: 'jwt_cold', spec: () => ({ ...get(port, '/api/v1/contacts'), mode: 'cold', tokensFile, tokenOffset: offset }), after: (r) => { offset += r.tokensUsed; } },
    ]);
  }
  if (wanted('key_lookup')) {
    const big = await startLatchkey(BIG_KEYS);
    await measure([
      { name: 'keys_1e2', spec: () => get(port, '/api/v1/contacts', `Bearer ${seeded.apiKey}`) },
      { name: `keys_1e${Math.round(Math.log10(BIG_KEYS))}`, spec: () => get(big.port, '/api/v1/contacts', `Bearer ${big.seeded.apiKey}`) },
    ]);
    big.child.kill('SIGTERM');
  }
  if (wanted('soak') && SOAK_SECONDS > 0) await runSoak(main.child, port, seeded.apiKey);
  else if (wanted('soak')) soak.note = 'skipped (BENCH_SOAK_SECONDS=0): soak keys are null';
}

function ratio(a: string, b: string, f: (x: number, y: number) => number): number | null {
  const x = medianRps(scenarios.get(a));
  const y = medianRps(scenarios.get(b));
  return x === null || y === null ? null : f(x, y);
}

function ratios(): Ratio[] {
  const bigName = `keys_1e${Math.round(Math.log10(BIG_KEYS))}`;
  return [
    { key: 'cc_ratio', label: 'client-credentials tokens/s, Latchkey ÷ bare oidc-provider', value: ratio('latchkey_cc', 'bare_cc', (x, y) => x / y), goal: '>= 0.90', met: (v) => v >= 0.9 },
    { key: 'refresh_ratio', label: 'refresh rotations/s, Latchkey ÷ bare oidc-provider', value: ratio('latchkey_refresh', 'bare_refresh', (x, y) => x / y), goal: '>= 0.80', met: (v) => v >= 0.8 },
    { key: 'api_key_overhead', label: '1 − api_key ÷ baseline', value: ratio('api_key', 'baseline', (x, y) => 1 - x / y), goal: '<= 0.10', met: (v) => v <= 0.1 },
    { key: 'jwt_cached_overhead', label: '1 − jwt_cached ÷ baseline', value: ratio('jwt_cached', 'baseline', (x, y) => 1 - x / y), goal: '<= 0.10', met: (v) => v <= 0.1 },
    {
      key: 'jwt_cold_vs_raw_verify', label: `(1/jwt_cold − 1/baseline) ÷ raw ES256 verify (${(rawVerifyMs * 1000).toFixed(1)} µs)`,
      value: ratio('jwt_cold', 'baseline', (x, y) => (1000 / x - 1000 / y) / rawVerifyMs), goal: '<= 1.5', met: (v) => v <= 1.5,
    },
    { key: 'key_lookup_1e6_vs_1e2', label: `${bigName} ÷ keys_1e2 (API-key requests/s)`, value: ratio(bigName, 'keys_1e2', (x, y) => x / y), goal: '>= 0.90', met: (v) => v >= 0.9 },
    { key: 'soak_rss_ratio', label: `RSS at the end of the soak ÷ RSS at ${soak.firstAt} s`, value: soak.rssEnd && soak.rss60 ? soak.rssEnd / soak.rss60 : null, goal: '<= 1.05', met: (v) => v <= 1.05, note: soak.note },
    { key: 'soak_errors', label: 'non-2xx answers and socket errors during the soak', value: soak.errors, goal: '0', met: (v) => v === 0 },
  ];
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  log(`aborted: ${(err as Error).stack}`);
} finally {
  await stopChildren();
  rmSync(root, { recursive: true, force: true });
}
const list = [...scenarios.values()];
if (list.some((s) => s.failure) || (soak.errors ?? 0) > 0) failed = true;
printReport(
  `Latchkey benchmark: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s (median), load from a separate process on loopback`,
  list, ratios(), rawVerifyMs ? [`raw ES256 verify (node:crypto, cached KeyObject, in the bench process): ${(rawVerifyMs * 1000).toFixed(1)} µs`] : [], JSON_OUT,
);
process.exitCode = failed ? 1 : 0;
