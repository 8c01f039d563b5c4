// A setting that stops the boot: the message names the variable and says what is allowed. And the
// count parser the settings files share.
export class SettingsError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingsError';
    this.variable = variable;
  }
}

/** A whole number from 1 to `max`; `fallback` when the variable is unset or empty. */
export function parseCount(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) throw new SettingsError(name, `"${raw}" is not allowed; use a whole number from 1 to ${max} (default ${fallback})`);
  return n;
}
