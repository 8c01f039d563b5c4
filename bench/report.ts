// The benchmark's output: a table of every scenario's throughput (median of its rounds) with the
// p50/p99 latencies of that median round, then each ratio of issue 15 with its goal; `--json` adds
// one JSON object with the ratios on the last line.
import type { LoadResult } from './load.ts';

export interface Scenario {
  name: string;
  rounds: LoadResult[];
  failure?: string;
}

export interface Ratio {
  key: string;
  label: string;
  value: number | null;
  goal: string;
  met: (value: number) => boolean;
  note?: string;
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

function scenarioLine(s: Scenario): string {
  const m = medianRound(s.rounds);
  const name = s.name.padEnd(16);
  if (s.failure) return `  ${name} FAILED: ${s.failure}`;
  if (!m) return `  ${name} (not run)`;
  return `  ${name} ${m.rps.toFixed(0).padStart(7)} req/s   p50 ${m.p50.toFixed(2).padStart(7)} ms   p99 ${m.p99.toFixed(2).padStart(7)} ms   rounds: ${s.rounds.map((r) => r.rps.toFixed(0)).join(', ')}`;
}

function ratioLine(r: Ratio): string {
  const value = (r.value === null ? 'n/a' : Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(3)).padStart(7);
  const verdict = r.value === null ? 'not measured' : r.met(r.value) ? 'met' : 'NOT met';
  return `  ${r.key.padEnd(24)} ${value}   goal ${r.goal.padEnd(7)} ${verdict.padEnd(12)} ${r.label}${r.note ? ` (${r.note})` : ''}`;
}

export function printReport(header: string, scenarios: readonly Scenario[], ratios: readonly Ratio[], extra: readonly string[], json: boolean): void {
  const out: string[] = [header, '', 'scenario          throughput (median round)        latency of that round'];
  for (const s of scenarios) out.push(scenarioLine(s));
  out.push('', 'ratio                      value   goal    verdict');
  for (const r of ratios) out.push(ratioLine(r));
  out.push(...extra.map((line) => `  ${line}`));
  process.stdout.write(`${out.join('\n')}\n`);
  if (json) {
    const object = Object.fromEntries(ratios.map((r) => [r.key, r.value === null ? null : Number(r.value.toFixed(4))]));
    process.stdout.write(`${JSON.stringify(object)}\n`);
  }
}
