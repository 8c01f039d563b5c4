// Every secret the suite creates through the helpers (client secrets, passwords, tokens), and the
// one log file every test server writes to. test/helpers/log-scan.ts reads both after the run: a
// secret in the log fails the run. Kept on globalThis so that each copy of this module (if the
// loader ever made two) shares one registry and one file.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger, type Logger } from '../../server/log.ts';

interface Registry {
  secrets: Set<string>;
  logPath: string;
  logger: Logger | undefined;
}

const REGISTRY = Symbol.for('latchkey.secretRegistry');
const holder = globalThis as typeof globalThis & { [REGISTRY]?: Registry };

function registry(): Registry {
  holder[REGISTRY] ??= {
    secrets: new Set(),
    logPath: join(tmpdir(), `latchkey-test-log-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`),
    logger: undefined,
  };
  return holder[REGISTRY];
}

/** Remembers a secret so that the log scan looks for it; empty values (public clients) are skipped. */
export function recordSecret(value: string | undefined): void {
  if (value) registry().secrets.add(value);
}

export function recordedSecrets(): ReadonlySet<string> {
  return registry().secrets;
}

export function testLogPath(): string {
  return registry().logPath;
}

/** The JSON logger of every test server: one file for the whole run, its path printed once. */
export function testLogger(): Logger {
  const state = registry();
  if (!state.logger) {
    // Synchronous writes: the scan after the run must see every line.
    state.logger = createLogger(pino.destination({ dest: state.logPath, sync: true, mkdir: true }));
    process.stderr.write(`test server log: ${state.logPath}\n`);
  }
  return state.logger;
}
