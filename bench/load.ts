// The load generator, run by bench/run.ts as a separate process so that it never shares an event
// loop with a server it measures. Lean keep-alive HTTP/1.1 connections on loopback (an equivalent of
// autocannon that can also follow a refresh-token chain): each connection sends one request, waits
// for the whole answer (Content-Length), records its latency, and sends the next.
// Input: one JSON LoadSpec as argv[2]. Output: one JSON LoadResult line on stdout.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface LoadSpec {
  port: number;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** fixed: the same request; cold: a new bearer token per request; refresh: a chain per connection. */
  mode: 'fixed' | 'cold' | 'refresh';
  /** cold: a file of tokens, one a line, used from `tokenOffset` on. */
  tokensFile?: string;
  tokenOffset?: number;
  /** refresh: one refresh token per connection; each answer's refresh_token is sent next. */
  refreshTokens?: string[];
  /** Requests per second over all connections (a steady rate); unset: as fast as answered. */
  rate?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  rps: number;
  p50: number;
  p99: number;
  tokensUsed: number;
  refreshTokens: string[];
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const tokens = spec.mode === 'cold' ? readFileSync(spec.tokensFile!, 'utf8').split('\n').filter(Boolean) : [];
let tokenIndex = spec.tokenOffset ?? 0;
const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;
const chains = [...(spec.refreshTokens ?? [])];

function fail(message: string): void {
  errors += 1;
  firstError ??= message;
}

function serialise(headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${spec.method} ${spec.path} HTTP/1.1`, `Host: 127.0.0.1:${spec.port}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

const fixed = spec.mode === 'fixed' ? serialise(spec.headers, spec.body) : undefined;

/** The next request of connection `n`, or undefined when there is nothing left to send. */
function nextRequest(n: number): Buffer | undefined {
  if (fixed) return fixed;
  if (spec.mode === 'cold') {
    if (tokenIndex >= tokens.length) {
      fail('ran out of pre-signed tokens (raise BENCH_COLD_TOKENS)');
      return undefined;
    }
    return serialise({ ...spec.headers, Authorization: `Bearer ${tokens[tokenIndex++]}` });
  }
  const token = chains[n];
  if (!token) return undefined;
  return serialise(spec.headers, `${spec.body ?? ''}&refresh_token=${encodeURIComponent(token)}`);
}

/** Reads the refresh token of a rotation's answer into the connection's chain. */
function followChain(n: number, body: Buffer): void {
  try {
    const token = (JSON.parse(body.toString('utf8')) as { refresh_token?: string }).refresh_token;
    if (!token) throw new Error('no refresh_token in the answer');
    chains[n] = token;
  } catch (err) {
    fail(`refresh answer: ${(err as Error).message}`);
    chains[n] = '';
  }
}

function connection(n: number, until: number): Promise<void> {
  const interval = spec.rate ? (spec.connections / spec.rate) * 1000 : 0;
  let scheduled = performance.now();
  return new Promise((resolve) => {
    const socket = connect(spec.port, '127.0.0.1');
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const finish = () => { socket.destroy(); resolve(); };
    const send = () => {
      const now = performance.now();
      if (now >= until) return finish();
      if (interval && scheduled > now) {
        setTimeout(send, scheduled - now);
        return;
      }
      scheduled += interval;
      const request = nextRequest(n);
      if (!request) return finish();
      sentAt = performance.now();
      socket.write(request);
    };
    socket.on('connect', send);
    socket.on('error', (err) => { fail(`socket: ${err.message}`); finish(); });
    socket.on('close', () => resolve());
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      for (;;) {
        const headerEnd = buffered.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buffered.subarray(0, headerEnd).toString('latin1');
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          fail('chunked answers are not supported by the load generator');
          return finish();
        }
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < headerEnd + 4 + length) return;
        const body = buffered.subarray(headerEnd + 4, headerEnd + 4 + length);
        buffered = buffered.subarray(headerEnd + 4 + length);
        const status = Number(head.slice(9, 12));
        if (status >= 200 && status < 300) {
          latencies.push(performance.now() - sentAt);
          if (spec.mode === 'refresh') followChain(n, body);
        } else {
          fail(`${head.split('\r\n')[0]}: ${body.toString('utf8').slice(0, 300)}`);
          if (spec.mode === 'refresh') chains[n] = '';
        }
        send();
      }
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;
}

const started = performance.now();
const until = started + spec.seconds * 1000;
await Promise.all(Array.from({ length: spec.connections }, (_, n) => connection(n, until)));
const elapsed = (performance.now() - started) / 1000;
const sorted = Float64Array.from(latencies).sort();
const result: LoadResult = {
  requests: latencies.length,
  errors,
  ...(firstError ? { firstError } : {}),
  rps: latencies.length / elapsed,
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  tokensUsed: tokenIndex - (spec.tokenOffset ?? 0),
  refreshTokens: chains,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
