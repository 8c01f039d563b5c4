// Where a request's time goes, from a CPU profile written with BENCH_PROFILE: every sample's time is
// given to the layer of the innermost frame that is our code or a library's (time in Node.js and
// in native code goes to whoever called it), then divided by the requests the server answered
// (BENCH_PROFILE's requests.json). Usage: npm run -s bench:layers -- DIR [latchkey|bare|floor|durable]
// Prints a Markdown table. Samples are wall-clock: on a busy machine a preempted thread's time
// lands on what it was running, so compare rows of one run, not figures of different machines.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Frame { functionName: string; url: string }
interface ProfileNode { id: number; callFrame: Frame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Layers, first match wins, by the file of the innermost non-native frame. */
const LAYERS: [string, RegExp][] = [
  ['request log (pino)', /node_modules\/(pino|sonic-boom|@pinojs|fast-redact|quick-format-unescaped|safe-stable-stringify)\/|\/server\/log\.ts|\/server\/http\/middleware\.ts/],
  ['metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\/|\/server\/metrics\//],
  ['request id, headers, https and URL checks', /node_modules\/helmet\/|\/server\/http\/(request-id|security-headers|forwarded)\.ts|\/server\/guard\/url-credentials\.ts/],
  ['limits', /\/server\/limits\//],
  ['routing (Koa, @koa/router, ours)', /node_modules\/(koa|koa-compose|@koa\/router|delegates|type-is|vary|accepts|statuses|on-finished|ee-first|media-typer|mime-types|content-type|negotiator|http-errors|depd|cookies|keygrip)\/|\/server\/assembly\//],
  ['client lookup and secret check', /\/server\/(oidc\/(client-metadata|adapter|harden)|cache|clients|secrets)[./]/],
  ['our oidc-provider hooks', /\/server\/oidc\//],
  ['store (SQLite)', /\/adapters\//],
  ['signing (jose)', /node_modules\/jose\//],
  ['oidc-provider', /node_modules\/oidc-provider\//],
  ['guard, API keys, Partner API', /\/(server|packages)\//],
];
const IDLE = new Set(['(idle)']);

function layerOf(stack: Frame[]): string {
  const own = stack.find((f) => f.url && !f.url.startsWith('node:'));
  if (!own) return stack[0]!.functionName === '(garbage collector)' ? 'garbage collection' : 'Node.js and V8 (no caller of ours)';
  return LAYERS.find(([, pattern]) => pattern.test(own.url))?.[0] ?? 'other libraries';
}

export function layers(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  const cache = new Map<number, string>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) return;
    let layer = cache.get(id);
    if (layer === undefined) {
      const stack: Frame[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!.callFrame);
      layer = layerOf(stack);
      cache.set(id, layer);
    }
    totals.set(layer, (totals.get(layer) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

const [dir, server = 'latchkey'] = process.argv.slice(2);
if (import.meta.main) {
  if (!dir) throw new Error('usage: npm run -s bench:layers -- DIR [latchkey|bare|floor|durable]');
  const file = readdirSync(dir).find((name) => name.startsWith(`${server}-`) || name.startsWith(`${server}.`));
  if (!file) throw new Error(`no ${server} profile in ${dir}`);
  const requests = (JSON.parse(readFileSync(join(dir, 'requests.json'), 'utf8')) as Record<string, number>)[server]!;
  const totals = layers(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile);
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const lines = ['| layer | µs per request | share |', '|---|---|---|'];
  for (const [layer, micros] of rows) lines.push(`| ${layer} | ${(micros / requests).toFixed(0)} | ${((micros / busy) * 100).toFixed(0)}% |`);
  lines.push(`| **all (${requests} requests)** | **${(busy / requests).toFixed(0)}** | 100% |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
