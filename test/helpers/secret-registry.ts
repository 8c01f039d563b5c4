// Every secret the suite creates through the helpers (client secrets, passwords, tokens), and the
// log file the test servers of this process write to, both in the run folder
// (test/helpers/run-folder.ts). test/helpers/run-checks.ts reads every process's after the run: a
// secret in any log fails the run. Kept on globalThis so that each copy of this module (if the
// loader ever made two) shares one registry and one file.
import pino from 'pino';
import { appendLines, processFile } from './run-folder.ts';
import { createLogger, type Logger } from '../../server/log.ts';

interface Registry {
  secrets: Set<string>;
  logPath: string;
  logger: Logger | undefined;
}

/** The kinds of the run folder's files: recorded secrets, and the test servers' logs. */
export const RECORDED_SECRETS = 'secrets';
export const SERVER_LOG = 'server-log';

const REGISTRY = Symbol.for('latchkey.secretRegistry');
const holder = globalThis as typeof globalThis & { [REGISTRY]?: Registry };

function registry(): Registry {
  holder[REGISTRY] ??= {
    secrets: new Set(),
    logPath: processFile(SERVER_LOG, 'jsonl'),
    logger: undefined,
  };
  return holder[REGISTRY];
}

/** Remembers a secret so that the log scan looks for it; empty values (public clients) are skipped. */
export function recordSecret(value: string | undefined): void {
  const { secrets } = registry();
  if (!value || secrets.has(value)) return;
  secrets.add(value);
  appendLines(RECORDED_SECRETS, [value]);
}

export function recordedSecrets(): ReadonlySet<string> {
  return registry().secrets;
}

export function testLogPath(): string {
  return registry().logPath;
}

/** The JSON logger of every test server of this process: one file, its path printed once. */
export function testLogger(): Logger {
  const state = registry();
  if (!state.logger) {
    // Synchronous writes: the scan after the run must see every line.
    state.logger = createLogger(pino.destination({ dest: state.logPath, sync: true, mkdir: true }));
    process.stderr.write(`test server log: ${state.logPath}\n`);
  }
  return state.logger;
}
