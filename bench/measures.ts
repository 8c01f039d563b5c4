// The benchmark's measures: each ratio of two scenarios' median rounds (or a count), with its goal.
// bench/run.ts runs the scenarios; report.ts withholds noisy measures and prints them.
import { medianP99, medianRps, type Ratio, type Scenario } from './report.ts';

type Scenarios = ReadonlyMap<string, Scenario>;

export interface RunFigures {
  scenarios: Scenarios;
  connections: number;
  bigKeys: number;
  /** Fsyncs per refresh rotation, from /metrics; null when not measured. */
  refreshSyncs: number | null;
  soak: { rss60: number | null; rssEnd: number | null; errors: number | null; firstAt: number; note: string };
}

function ratioOf(scenarios: Scenarios, a: string, b: string, f: (x: number, y: number) => number, of = medianRps): number | null {
  const x = of(scenarios.get(a));
  const y = of(scenarios.get(b));
  return x === null || y === null ? null : f(x, y);
}

/** Milliseconds a request of `name` takes beyond one of the baseline (from the median throughputs). */
function beyondBaseline(scenarios: Scenarios, name: string): number | null {
  return ratioOf(scenarios, name, 'baseline', (x, y) => 1000 / x - 1000 / y);
}

/** The guard's cost on a never-seen JWT over a bare node:crypto signature check, both paid in the server under the same load. */
function coldVersusRaw(scenarios: Scenarios): number | null {
  const guard = beyondBaseline(scenarios, 'jwt_cold');
  const raw = beyondBaseline(scenarios, 'raw_verify_cold');
  return guard === null || raw === null || raw <= 0 ? null : guard / raw;
}

/** Every measure of the run, with its goal (null where its scenarios did not run). */
export function ratios({ scenarios, connections, bigKeys, refreshSyncs, soak }: RunFigures): Ratio[] {
  const ratio = (a: string, b: string, f: (x: number, y: number) => number, of = medianRps) => ratioOf(scenarios, a, b, f, of);
  /** A measure given as context, with no goal: scenario a over scenario b, noisy when b's rounds are. */
  const context = (key: string, label: string, a: string, b: string): Ratio => ({ key, label, baseline: b, goal: 'none', value: ratio(a, b, (x, y) => x / y) });
  const bigName = `keys_1e${Math.round(Math.log10(bigKeys))}`;
  return [
    {
      key: 'cc_ratio', label: 'client-credentials tokens/s, Latchkey ÷ bare oidc-provider', baseline: 'bare_cc',
      value: ratio('latchkey_cc', 'bare_cc', (x, y) => x / y), goal: '>= 0.90', met: (v) => v >= 0.9,
    },
    context('cc_instrumentation_floor', 'client-credentials tokens/s, bare oidc-provider with only the required instrumentation (bench/instrumentation-floor.ts) ÷ bare: the best cc_ratio those requirements leave', 'floor_cc', 'bare_cc'),
    context('cc_ratio_vs_floor', 'client-credentials tokens/s, Latchkey ÷ that instrumented bare oidc-provider', 'latchkey_cc', 'floor_cc'),
    {
      key: 'cc_p99_ratio', label: 'p99 of client credentials at half the bare maximum, Latchkey ÷ bare', baseline: 'bare_cc_steady', spreadOf: 'p99',
      value: ratio('latchkey_cc_steady', 'bare_cc_steady', (x, y) => x / y, medianP99), goal: '<= 1.5', met: (v) => v <= 1.5,
    },
    {
      key: 'refresh_ratio', label: 'refresh rotations/s, Latchkey ÷ bare oidc-provider', baseline: 'bare_refresh',
      value: ratio('latchkey_refresh', 'bare_refresh', (x, y) => x / y), goal: '>= 0.80', met: (v) => v >= 0.8,
    },
    context('refresh_floor', 'refresh rotations/s, bare oidc-provider with the required instrumentation and its records in Latchkey\'s durable embedded store ÷ bare: the best refresh_ratio those requirements leave', 'durable_refresh', 'bare_refresh'),
    context('refresh_ratio_vs_floor', 'refresh rotations/s, Latchkey ÷ that instrumented, durable bare oidc-provider', 'latchkey_refresh', 'durable_refresh'),
    {
      key: 'refresh_fsyncs_per_request', label: `fsyncs of the store's log per refresh rotation, ${connections} connections`,
      value: refreshSyncs, goal: '<= 0.25', met: (v) => v <= 0.25,
    },
    {
      key: 'introspect_ratio', label: 'API-key introspections/s, Latchkey ÷ bare oidc-provider (opaque token)', baseline: 'bare_introspect',
      value: ratio('latchkey_introspect', 'bare_introspect', (x, y) => x / y), goal: '>= 0.90', met: (v) => v >= 0.9,
    },
    context('introspect_floor', 'introspections/s, bare oidc-provider with only the required instrumentation ÷ bare (both an opaque token): the best introspect_ratio those requirements leave', 'floor_introspect', 'bare_introspect'),
    context('introspect_ratio_vs_floor', 'API-key introspections/s, Latchkey ÷ that instrumented bare oidc-provider', 'latchkey_introspect', 'floor_introspect'),
    { key: 'api_key_overhead', label: '1 − api_key ÷ baseline', baseline: 'baseline', value: ratio('api_key', 'baseline', (x, y) => 1 - x / y), goal: '<= 0.10', met: (v) => v <= 0.1 },
    { key: 'jwt_cached_overhead', label: '1 − jwt_cached ÷ baseline', baseline: 'baseline', value: ratio('jwt_cached', 'baseline', (x, y) => 1 - x / y), goal: '<= 0.10', met: (v) => v <= 0.1 },
    {
      key: 'jwt_cold_vs_raw_verify', label: '(1/jwt_cold − 1/baseline) ÷ (1/raw_verify_cold − 1/baseline): the guard on a new JWT over a bare signature check', baseline: 'baseline',
      value: coldVersusRaw(scenarios), goal: '<= 1.3', met: (v) => v <= 1.3,
    },
    {
      key: 'key_lookup_1e6_vs_1e2', label: `${bigName} ÷ keys_1e2 (API-key requests/s)`, baseline: 'keys_1e2',
      value: ratio(bigName, 'keys_1e2', (x, y) => x / y), goal: '>= 0.90', met: (v) => v >= 0.9,
    },
    { key: 'soak_rss_ratio', label: `RSS at the end of the soak ÷ RSS at ${soak.firstAt} s`, value: soak.rssEnd && soak.rss60 ? soak.rssEnd / soak.rss60 : null, goal: '<= 1.05', met: (v) => v <= 1.05, note: soak.note },
    { key: 'soak_errors', label: 'non-2xx answers and socket errors during the soak', value: soak.errors, goal: '0', met: (v) => v === 0 },
  ];
}

/** What jwt_cold_vs_raw_verify rests on, for the report. */
export function rawVerifyNotes(scenarios: Scenarios, rawVerifyMs: number): string[] {
  const micros = (ms: number | null) => (ms === null ? 'n/a' : `${(ms * 1000).toFixed(1)} µs`);
  return [
    `beyond the baseline, per request in the server: jwt_cold ${micros(beyondBaseline(scenarios, 'jwt_cold'))}, raw_verify_cold ${micros(beyondBaseline(scenarios, 'raw_verify_cold'))}`,
    `raw ES256 verify in the idle bench process (node:crypto, cached KeyObject): ${micros(rawVerifyMs)}`,
  ];
}

