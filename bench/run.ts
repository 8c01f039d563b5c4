// `npm run bench` (issue 15): Latchkey as in production (NODE_ENV=production, embedded store, hashed
// secrets, audit, pino logs on, metrics and rate limits on) measured against a bare oidc-provider and
// against an unguarded route, in one run. Token issuance, refresh and introspection are also
// measured against floors, given as context: bare oidc-provider with only what the issue requires
// (bench/instrumentation-floor.ts). Loads come from a separate process (bench/load.ts) on loopback;
// rounds alternate between the compared servers; each figure is the median of the rounds; any
// non-2xx answer fails its measure. A measure is withheld (null, its reason in `noisy`) when the
// load average before the run is above 0.5 or its baseline's rounds differ by more than 25%
// (report.ts). `--json` adds one JSON object with the ratios, last line.
// Knobs: BENCH_SECONDS (per round, 5), BENCH_ROUNDS (>= 3, 3), BENCH_CONNECTIONS (32),
// BENCH_ONLY (cc|refresh|introspect|guard|key_lookup|soak), BENCH_SOAK_SECONDS (300; 0 skips the soak),
// BENCH_PROFILE (a folder: each server writes a CPU profile there, read by bench/profile-layers.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { LoadSpec } from './load.ts';
import { freePort, mintOpaqueToken, mintRefreshTokens, rssKiB, runLoad, startServer, stopChildren } from './processes.ts';
import { ratios, rawVerifyNotes } from './measures.ts';
import { medianRps, printReport, refuseNoise, type Scenario } from './report.ts';
import { basic, refreshTokens, seed, type Seeded } from './seed.ts';
import { clientCredentialsJwt, coldTokens } from './tokens.ts';

const JSON_OUT = process.argv.includes('--json');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const ONLY = process.env.BENCH_ONLY;
const MEASURES = ['cc', 'refresh', 'introspect', 'guard', 'key_lookup', 'soak'] as const;
if (ONLY && !(MEASURES as readonly string[]).includes(ONLY)) throw new Error(`BENCH_ONLY must be one of ${MEASURES.join(', ')}`);
const wanted = (measure: typeof MEASURES[number]) => !ONLY || ONLY === measure;
const BIG_KEYS = Number(process.env.BENCH_BIG_KEYS ?? 1_000_000);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
/** Read before anything starts: the machine's own load, not the benchmark's. */
const LOAD_BEFORE = loadavg()[0]!;
/** /metrics needs a token in production: the bench reads the store's commit count there. */
const METRICS_TOKEN = randomBytes(24).toString('base64url');

const root = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
// Also on an interrupt (processes.ts exits the process on SIGINT/SIGTERM after killing the children).
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const scenarios = new Map<string, Scenario>();
let rawVerifyMs = 0;
let refreshSyncs: number | null = null;
const soak = { rss60: null as number | null, rssEnd: null as number | null, errors: null as number | null, rate: 0, firstAt: 60, note: 'skipped' };

function latchkeyEnv(dataDir: string, port: number, seeded?: Seeded): Record<string, string | undefined> {
  const { kty, crv, x, y } = seeded?.es256 ?? {};
  return {
    ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, MONGODB_URI: '',
    BENCH_ACCOUNT: seeded?.accountId ?? '', BENCH_VERIFY_JWK: JSON.stringify({ kty, crv, x, y }),
    // Production requires a relay; no measured path sends mail, so none listens there.
    LATCHKEY_SMTP_URL: 'smtp://127.0.0.1:2525',
    METRICS_TOKEN,
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
  const child = await startServer('server.ts', latchkeyEnv(dataDir, port, seeded), profileArgs(`latchkey-${keys}`));
  return { port, seeded, child };
}

/** One scenario: a name and the load it sends (recomputed every round, e.g. for refresh chains). */
interface Load { name: string; spec: () => LoadSpec; after?: (r: Awaited<ReturnType<typeof runLoad>>) => void }

/** A warm-up round as long as the others (the JIT and caches settle), then ROUNDS rounds alternating over `loads`; a non-2xx answer fails that scenario. */
async function measure(loads: Load[]): Promise<void> {
  for (const load of loads) scenarios.set(load.name, { name: load.name, rounds: [] });
  for (let round = -1; round < ROUNDS; round += 1) {
    for (const load of loads) {
      const scenario = scenarios.get(load.name)!;
      if (scenario.failure) continue;
      const result = await runLoad(load.spec());
      load.after?.(result);
      if (result.errors > 0) {
        scenario.failure = `${result.errors} error(s), first: ${result.firstError}`;
        log(`${load.name} FAILED: ${scenario.failure}`);
      } else if (round < 0) {
        scenario.warmupRequests = result.requests;
      } else {
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

/** The store's fsyncs so far (latchkey_store_syncs_total on /metrics): what makes its commits durable. */
async function storeSyncs(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = /^latchkey_store_syncs_total (\d+)/m.exec(text);
  if (!line) throw new Error('no latchkey_store_syncs_total on /metrics');
  return Number(line[1]);
}

/** Requests a scenario served in all its rounds, the warm-up too. */
const servedBy = (name: string) => {
  const scenario = scenarios.get(name);
  return scenario ? (scenario.warmupRequests ?? 0) + scenario.rounds.reduce((sum, r) => sum + r.requests, 0) : 0;
};

async function main(): Promise<void> {
  const main = await startLatchkey(100);
  const { port, seeded } = main;
  const issuer = `http://127.0.0.1:${port}`;
  const barePort = await freePort();
  const keyFile = join(root, 'es256.json');
  writeFileSync(keyFile, JSON.stringify(seeded.es256), { mode: 0o600 });
  const bareSecret = seeded.service.clientSecret;
  /** Bare oidc-provider; the floor: with the required instrumentation, and for refresh with a durable store too. */
  const startBare = (at: number, name: string, floor?: 'instrumented' | 'durable') => startServer('bare-provider.ts', {
    ...process.env, BARE_PORT: String(at), BARE_KEY_FILE: keyFile, BARE_RESOURCE: `http://127.0.0.1:${at}/api`,
    BARE_CLIENT_ID: 'bench', BARE_CLIENT_SECRET: bareSecret, BARE_INSTRUMENTED: floor ? '1' : '',
    BARE_STORE_DIR: floor === 'durable' ? mkdtempSync(join(root, 'durable-')) : '',
  }, profileArgs(name));
  const bare = wanted('cc') || wanted('refresh') || wanted('introspect') ? await startBare(barePort, 'bare') : undefined;
  const floorPort = await freePort();
  const floorServer = wanted('cc') || wanted('introspect') ? await startBare(floorPort, 'floor', 'instrumented') : undefined;
  const ccBody = 'grant_type=client_credentials&scope=read:contacts';

  if (wanted('cc')) {
    const ours = () => tokenRequest(port, basic(seeded.service.clientId, seeded.service.clientSecret), ccBody);
    const theirs = () => tokenRequest(barePort, basic('bench', bareSecret), ccBody);
    const floor = () => tokenRequest(floorPort, basic('bench', bareSecret), ccBody);
    await measure([{ name: 'latchkey_cc', spec: ours }, { name: 'bare_cc', spec: theirs }, { name: 'floor_cc', spec: floor }]);
    // Tail latency at a steady rate: half of what the bare server answers at most. Rounds twice as
    // long: a p99 rests on a hundredth of the samples, and one pause moves a short round's.
    const rate = Math.round((medianRps(scenarios.get('bare_cc')) ?? 0) / 2);
    if (rate > 0) {
      log(`client credentials at a steady ${rate} req/s`);
      const steady = (spec: LoadSpec): LoadSpec => ({ ...spec, rate, seconds: 2 * SECONDS });
      await measure([{ name: 'latchkey_cc_steady', spec: () => steady(ours()) }, { name: 'bare_cc_steady', spec: () => steady(theirs()) }]);
    }
  }
  if (wanted('refresh')) {
    log(`obtaining ${CONNECTIONS} refresh tokens through the authorization code flow`);
    const ours = await refreshTokens(issuer, seeded, CONNECTIONS);
    const theirs = await mintRefreshTokens(bare!, CONNECTIONS);
    const durablePort = await freePort();
    const durable = await mintRefreshTokens(await startBare(durablePort, 'durable', 'durable'), CONNECTIONS);
    const syncsBefore = await storeSyncs(port);
    await measure([
      refreshLoad('latchkey_refresh', port, basic(seeded.web.clientId, seeded.web.clientSecret), ours),
      refreshLoad('bare_refresh', barePort, basic('bench', bareSecret), theirs),
      refreshLoad('durable_refresh', durablePort, basic('bench', bareSecret), durable),
    ]);
    const served = servedBy('latchkey_refresh');
    if (served > 0) refreshSyncs = (await storeSyncs(port) - syncsBefore) / served;
  }
  if (wanted('introspect')) {
    // A resource server introspecting an API key, against bare oidc-provider introspecting an opaque token.
    const opaque = await mintOpaqueToken(bare!);
    const floorOpaque = await mintOpaqueToken(floorServer!);
    const introspect = (to: number, authorization: string, token: string): LoadSpec => ({
      ...tokenRequest(to, authorization, `token=${encodeURIComponent(token)}`), path: '/token/introspection',
    });
    await measure([
      { name: 'latchkey_introspect', spec: () => introspect(port, basic(seeded.resourceServer.clientId, seeded.resourceServer.clientSecret), seeded.apiKey) },
      { name: 'bare_introspect', spec: () => introspect(barePort, basic('bench', bareSecret), opaque) },
      { name: 'floor_introspect', spec: () => introspect(floorPort, basic('bench', bareSecret), floorOpaque) },
    ]);
  }
  if (wanted('guard')) {
    const jwt = await clientCredentialsJwt(port, seeded);
    const tokensFile = join(root, 'cold-tokens.txt');
    const count = Number(process.env.BENCH_COLD_TOKENS ?? 6000 * SECONDS * (ROUNDS + 1));
    log(`signing ${count} distinct JWTs for jwt_cold`);
    rawVerifyMs = coldTokens(seeded, issuer, count, tokensFile);
    let offset = 0;
    // Each token is sent once, over both scenarios: no verdict is ever cached.
    const cold = (name: string, path: string): Load => ({
      name, spec: () => ({ ...get(port, path), mode: 'cold', tokensFile, tokenOffset: offset }), after: (r) => { offset += r.tokensUsed; },
    });
    await measure([
      { name: 'baseline', spec: () => get(port, '/api/v1/baseline/contacts') },
      { name: 'api_key', spec: () => get(port, '/api/v1/contacts', `Bearer ${seeded.apiKey}`) },
      { name: 'jwt_cached', spec: () => get(port, '/api/v1/contacts', `Bearer ${jwt}`) },
      cold('jwt_cold', '/api/v1/contacts'),
      cold('raw_verify_cold', '/api/v1/baseline/raw-verify/contacts'),
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
if (process.env.BENCH_PROFILE) {
  // What each profiled server answered, for bench/profile-layers.ts: the bare provider's scenarios
  // start bare_, the floors' floor_ and durable_, and the rest are Latchkey's.
  const serverOf = (name: string) => (/^(bare|floor|durable)_/.exec(name)?.[1] ?? 'latchkey');
  const served = (server: string) => list.filter((s) => serverOf(s.name) === server).reduce((sum, s) => sum + servedBy(s.name), 0);
  writeFileSync(join(process.env.BENCH_PROFILE, 'requests.json'), JSON.stringify(Object.fromEntries(['latchkey', 'bare', 'floor', 'durable'].map((server) => [server, served(server)]))));
}
const measured = ratios({ scenarios, connections: CONNECTIONS, bigKeys: BIG_KEYS, refreshSyncs, soak });
refuseNoise(measured, scenarios, LOAD_BEFORE);
printReport(
  `Latchkey benchmark: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s (median) after a warm-up as long, load from a separate process on loopback; load average before: ${LOAD_BEFORE.toFixed(2)}`,
  list, measured, rawVerifyMs ? rawVerifyNotes(scenarios, rawVerifyMs) : [], JSON_OUT,
);
process.exitCode = failed ? 1 : 0;
