// `npm run bench`: requests per second for the same Partner API read (GET /api/v1/contacts,
// 20 contacts) with no credential check (baseline), with an API key, and with JWT access tokens,
// measured in one run, interleaved, and printed as ratios against the baseline.
// Goal (issue 3): the API key path costs at most 10% of the baseline's throughput, the JWT at most 20%.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, importJWK } from 'jose';
import { loadSettings } from '../config/settings.ts';
import { createKey } from '../server/api-keys/service.ts';
import { createAccountWithUser } from '../server/accounts/service.ts';
import { createClient } from '../server/clients/service.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { silentLogger } from '../server/log.ts';
import { openStore } from '../server/store.ts';
import { generateSortableId } from '../server/secrets.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const ISSUER = `http://127.0.0.1:${PORT}`;

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const env = { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), ISSUER, NODE_ENV: 'production', MONGODB_URI: '' };

// Seed: an account with 20 test contacts, an API key, a client-credentials client.
const settings = loadSettings(env);
const store = await openStore(settings);
const { pepper } = await loadKeyMaterial(settings, store, silentLogger);
const { accountId } = await createAccountWithUser(store, { name: 'Bench', email: 'bench@example.com', password: 'benchmark password' });
for (let i = 0; i < 20; i += 1) {
  const now = new Date();
  await store.insertRecord({ kind: 'contact', accountId, environment: 'test', id: generateSortableId('ct'), data: { name: `Contact ${i}`, email: `c${i}@example.com` }, createdAt: now, updatedAt: now });
}
// Distinct access tokens, signed with the server's own ES256 key exactly as it signs them, so that
// the jwt_cold scenario verifies a signature on every request (no verified-token cache hit).
const es256 = (await loadKeyMaterial(settings, store, silentLogger)).jwks.keys.find((k) => k.kty === 'EC')!;
const signingKey = await importJWK(es256, 'ES256');
const COLD_TOKENS = Number(process.env.BENCH_COLD_TOKENS ?? 5000 * SECONDS * (ROUNDS + 1));
const coldTokens: string[] = [];
for (let i = 0; i < COLD_TOKENS; i += 1) {
  coldTokens.push(await new SignJWT({ scope: 'read:contacts', client_id: 'bench', account_id: accountId, env: 'test' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es256.kid! })
    .setIssuer(ISSUER).setAudience(`${ISSUER}/api`).setSubject('bench').setJti(`bench-${i}`)
    .setIssuedAt().setExpirationTime('15m').sign(signingKey));
}
let coldIndex = 0;

const apiKey = (await createKey(store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' })).key;
const client = await createClient(store, pepper, { accountId, name: 'bench', type: 'service', scopes: 'read:contacts', actor: 'cli' });
await store.close();

const server = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), join(import.meta.dirname, 'server.ts')], { env: { ...env, BENCH_ACCOUNT: accountId }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  server.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
  server.on('exit', (code) => reject(new Error(`bench server exited ${code}`)));
});

const tokenResponse = await fetch(`${ISSUER}/token`, {
  method: 'POST',
  headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials&scope=read:contacts',
});
const jwt = ((await tokenResponse.json()) as { access_token: string }).access_token;

/**
 * One keep-alive connection sending the same pre-serialised request again and again; responses are
 * parsed just enough to find their end (Content-Length). A lean client keeps the load generator
 * from being the bottleneck on a two-core machine.
 */
function connection(next: () => Uint8Array, until: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(PORT, '127.0.0.1');
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let done = 0;
    const send = () => {
      if (performance.now() >= until) {
        socket.end();
        resolve(done);
        return;
      }
      socket.write(next());
    };
    socket.on('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      for (;;) {
        const headerEnd = buffered.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buffered.subarray(0, headerEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < headerEnd + 4 + length) return;
        if (!head.startsWith('HTTP/1.1 200')) {
          reject(new Error(`answered: ${head.split('\r\n')[0]}`));
          socket.destroy();
          return;
        }
        buffered = buffered.subarray(headerEnd + 4 + length);
        done += 1;
        send();
      }
    });
  });
}

/** Requests per second over SECONDS with CONCURRENCY connections; every answer must be 200. */
async function measure(path: string, authorization?: string | (() => string)): Promise<number> {
  const serialise = (value: string | undefined) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\n${value ? `Authorization: ${value}\r\n` : ''}\r\n`);
  const fixed = typeof authorization === 'function' ? undefined : serialise(authorization);
  const next = typeof authorization === 'function' ? () => serialise(authorization()) : () => fixed!;
  const until = performance.now() + SECONDS * 1000;
  const counts = await Promise.all(Array.from({ length: CONCURRENCY }, () => connection(next, until)));
  return counts.reduce((a, b) => a + b, 0) / SECONDS;
}

const scenarios = {
  baseline: () => measure('/api/v1/baseline/contacts'),
  api_key: () => measure('/api/v1/contacts', `Bearer ${apiKey}`),
  jwt: () => measure('/api/v1/contacts', `Bearer ${jwt}`),
  jwt_cold: () => measure('/api/v1/contacts', () => {
    if (coldIndex >= coldTokens.length) throw new Error('raise BENCH_COLD_TOKENS: every cold request needs a token of its own');
    return `Bearer ${coldTokens[coldIndex++]}`;
  }),
};
const results: Record<keyof typeof scenarios, number[]> = { baseline: [], api_key: [], jwt: [], jwt_cold: [] };
// BENCH_ONLY=api_key (with BENCH_PROFILE=1) profiles one scenario alone.
const only = process.env.BENCH_ONLY as keyof typeof scenarios | undefined;

try {
  const chosen = (Object.entries(scenarios) as [keyof typeof scenarios, () => Promise<number>][]).filter(([name]) => !only || name === only);
  for (const [, run] of chosen) await run(); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, run] of chosen) results[name].push(await run());
  }
} finally {
  server.kill('SIGTERM');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.baseline);
// jwt: the same token again and again (verified once, then cached until it expires), as a client
// uses it for its 15 minutes; jwt_cold: a new token on every request (a signature check each time).
const goals = { baseline: undefined, api_key: 0.10, jwt: 0.20, jwt_cold: 0.20 } as const;
process.stdout.write(`GET /api/v1/contacts (20 contacts), ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds of ${SECONDS} s, median:\n`);
for (const name of (Object.keys(scenarios) as (keyof typeof scenarios)[]).filter((n) => results[n].length > 0)) {
  const rps = median(results[name]);
  const cost = 1 - rps / base;
  const goal = goals[name];
  const verdict = goal === undefined ? '' : `  cost ${(cost * 100).toFixed(1)}% (goal <= ${goal * 100}%: ${cost <= goal ? 'met' : 'NOT met'})`;
  process.stdout.write(`  ${name.padEnd(9)} ${rps.toFixed(0).padStart(7)} req/s  ratio ${(rps / base).toFixed(3)}${verdict}   rounds: ${results[name].map((r) => r.toFixed(0)).join(', ')}\n`);
}
rmSync(dataDir, { recursive: true, force: true });
