// Reading Prometheus's text format, as a scrape sees it.

/** The value of one sample, by metric name and exact labels; 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2] ? match[2].split(',') : [];
    if (want.every((pair) => have.includes(pair)) && have.length === want.length) return Number(match[3]);
  }
  return 0;
}
