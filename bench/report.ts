// The benchmark's output: a table of every scenario's throughput (median of its rounds) with the
// p50/p99 latencies of that median round and the spread of its rounds, then each ratio with its
// goal. A ratio is refused (null, with the reason in `noisy`) when the machine was busy before the
// run or its baseline's rounds differ too much: a figure from a noisy run must never look like a
// pass. `--json` adds one JSON object with the ratios, `noisy` and `spread` on the last line.
import type { LoadResult } from './load.ts';

/** A run is noisy when the load average before it is above this, or a baseline's rounds differ by more than SPREAD_LIMIT. */
export const LOAD_LIMIT = 0.5;
export const SPREAD_LIMIT = 0.25;

export interface Scenario {
  name: string;
  rounds: LoadResult[];
  /** Requests served in the warm-up round (counted for per-request figures such as commits). */
  warmupRequests?: number;
  failure?: string;
}

export interface Ratio {
  key: string;
  label: string;
  value: number | null;
  goal: string;
  /** Absent for a measure given as context, with no goal of its own. */
  met?: (value: number) => boolean;
  /** The scenario this measure is relative to: too wide a spread in its rounds makes the measure noisy. */
  baseline?: string;
  /** Which figure of the baseline's rounds the spread is taken of (throughput unless said). */
  spreadOf?: 'rps' | 'p99';
  note?: string;
  /** Set by refuseNoise: why the value is withheld, and what it was (shown in the table, never in the JSON). */
  noisy?: string;
  withheld?: number;
}

/** The round with the median throughput (rounds.length is odd or the upper middle is taken). */
export function medianRound(rounds: readonly LoadResult[]): LoadResult | undefined {
  if (rounds.length === 0) return undefined;
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
}

export function medianRps(scenario: Scenario | undefined): number | null {
  if (!scenario || scenario.failure) return null;
  return medianRound(scenario.rounds)?.rps ?? null;
}

/** The median of the rounds' p99 latencies (at a steady rate every round sends the same load). */
export function medianP99(scenario: Scenario | undefined): number | null {
  if (!scenario || scenario.failure || scenario.rounds.length === 0) return null;
  return [...scenario.rounds].map((r) => r.p99).sort((a, b) => a - b)[Math.floor(scenario.rounds.length / 2)]!;
}

/** How much the rounds differ: the largest over the smallest, less one (0.25: the best round is 25% above the worst). */
export function spreadOf(scenario: Scenario | undefined, of: 'rps' | 'p99' = 'rps'): number | null {
  if (!scenario || scenario.failure || scenario.rounds.length < 2) return null;
  const values = scenario.rounds.map((r) => r[of]);
  const low = Math.min(...values);
  return low > 0 ? Math.max(...values) / low - 1 : null;
}

/** Withholds every measure the load average or its baseline's spread makes untrustworthy. */
export function refuseNoise(ratios: Ratio[], scenarios: ReadonlyMap<string, Scenario>, loadBefore: number): void {
  for (const ratio of ratios) {
    if (ratio.value === null) continue;
    const spread = ratio.baseline ? spreadOf(scenarios.get(ratio.baseline), ratio.spreadOf) : null;
    if (loadBefore > LOAD_LIMIT) {
      ratio.noisy = `load average ${loadBefore.toFixed(2)} before the run (above ${LOAD_LIMIT}): the machine was not quiet`;
    } else if (spread !== null && spread > SPREAD_LIMIT) {
      const rounds = scenarios.get(ratio.baseline!)!.rounds.map((r) => r[ratio.spreadOf ?? 'rps'].toFixed(ratio.spreadOf === 'p99' ? 2 : 0));
      ratio.noisy = `the baseline ${ratio.baseline}'s rounds differ by ${(spread * 100).toFixed(0)}% (${rounds.join(', ')}), above ${SPREAD_LIMIT * 100}%`;
    }
    if (ratio.noisy) {
      ratio.withheld = ratio.value;
      ratio.value = null;
    }
  }
}

function scenarioLine(s: Scenario): string {
  const m = medianRound(s.rounds);
  const name = s.name.padEnd(20);
  if (s.failure) return `  ${name} FAILED: ${s.failure}`;
  if (!m) return `  ${name} (not run)`;
  const spread = spreadOf(s);
  return `  ${name} ${m.rps.toFixed(0).padStart(7)} req/s   p50 ${m.p50.toFixed(2).padStart(7)} ms   p99 ${m.p99.toFixed(2).padStart(7)} ms   `
    + `spread ${spread === null ? 'n/a' : `${(spread * 100).toFixed(0)}%`.padStart(4)}   rounds: ${s.rounds.map((r) => r.rps.toFixed(0)).join(', ')}`
    + `   (p99 ${s.rounds.map((r) => r.p99.toFixed(2)).join(', ')})`;
}

function ratioLine(r: Ratio): string {
  const value = (r.value === null ? 'n/a' : Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3)).padStart(7);
  const verdict = r.noisy ? 'NOISY' : r.value === null ? 'not measured' : !r.met ? 'context' : r.met(r.value) ? 'met' : 'NOT met';
  const why = r.noisy ? ` [withheld: ${r.noisy}; measured ${r.withheld?.toFixed(3)}, not a result]` : '';
  return `  ${r.key.padEnd(26)} ${value}   goal ${r.goal.padEnd(7)} ${verdict.padEnd(12)} ${r.label}${r.note ? ` (${r.note})` : ''}${why}`;
}

export function printReport(header: string, scenarios: readonly Scenario[], ratios: readonly Ratio[], extra: readonly string[], json: boolean): void {
  const out: string[] = [header, '', 'scenario              throughput (median round)        latency of that round                spread of the rounds'];
  for (const s of scenarios) out.push(scenarioLine(s));
  out.push('', 'ratio                        value   goal    verdict');
  for (const r of ratios) out.push(ratioLine(r));
  out.push(...extra.map((line) => `  ${line}`));
  process.stdout.write(`${out.join('\n')}\n`);
  if (json) {
    const object: Record<string, unknown> = Object.fromEntries(ratios.map((r) => [r.key, r.value === null ? null : Number(r.value.toFixed(4))]));
    object.noisy = Object.fromEntries(ratios.filter((r) => r.noisy).map((r) => [r.key, r.noisy]));
    object.spread = Object.fromEntries(scenarios.map((s) => [s.name, spreadOf(s)]).filter(([, v]) => v !== null).map(([k, v]) => [k, Number((v as number).toFixed(4))]));
    process.stdout.write(`${JSON.stringify(object)}\n`);
  }
}
