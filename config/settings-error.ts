// A setting that stops the boot: the message names the variable and says what is allowed.
export class SettingsError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingsError';
    this.variable = variable;
  }
}
