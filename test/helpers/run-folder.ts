// One folder per test run, shared by every process of the run. With `mocha --parallel` each test
// file runs in a worker process that shares no memory with the others, so the run-wide checks
// (test/helpers/run-checks.ts) read what each process wrote here. The first process to load this
// file (mocha's main process, which loads the --require files before it forks its workers) makes the
// folder and passes it on in the environment; workers and spawned servers inherit it.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VARIABLE = 'LATCHKEY_TEST_RUN_DIR';

export function runFolder(): string {
  process.env[VARIABLE] ??= mkdtempSync(join(tmpdir(), 'latchkey-run-'));
  return process.env[VARIABLE];
}

/** A file of this process in the run folder: `<kind>-<pid>.<extension>`. */
export function processFile(kind: string, extension: string): string {
  return join(runFolder(), `${kind}-${process.pid}.${extension}`);
}

/** Appends JSON lines to this process's file of `kind`. */
export function appendLines(kind: string, values: readonly unknown[]): void {
  if (values.length === 0) return;
  appendFileSync(processFile(kind, 'jsonl'), values.map((value) => `${JSON.stringify(value)}\n`).join(''));
}

/** Every JSON line any process of the run wrote under `kind`. */
export function readLines<T>(kind: string): T[] {
  return readdirSync(runFolder()).filter((name) => name.startsWith(`${kind}-`) && name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(join(runFolder(), name), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as T));
}

/** Every file any process of the run wrote under `kind` with `extension`. */
export function filesOf(kind: string, extension: string): string[] {
  return readdirSync(runFolder()).filter((name) => name.startsWith(`${kind}-`) && name.endsWith(`.${extension}`))
    .map((name) => join(runFolder(), name));
}

/** Made at load, in whichever process loads this first. */
runFolder();
