// Structured JSON logs through pino, one line per event. Callers keep the small Logger interface
// (message first, then fields); pino takes them the other way round. Callers log ids, never
// credentials, and request URLs are logged without their query string; `redact` below is the
// second line of defence for anything secret-bearing that slips into a field anyway.
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (a request's id, say). Optional: test loggers may lack it. */
  child?(fields: Record<string, unknown>): Logger;
  /**
   * An info line whose field names the caller fixes, none of them among REDACT_PATHS (the request
   * line): written without the redaction pass, which redacts by name and so would change nothing,
   * at a cost of several µs a line. Optional: callers fall back to info().
   */
  infoUnredacted?(message: string, fields: Record<string, unknown>): void;
}

/** Fields that carry a credential wherever they appear: request bodies, token answers, headers. */
const SECRET_FIELDS = ['client_secret', 'client_assertion', 'refresh_token', 'access_token', 'id_token', 'code', 'code_verifier', 'password', 'token'];
const SECRET_HEADERS = ['.authorization', '.cookie', '["set-cookie"]'];

export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers${header}`, `*.headers${header}`]),
];

function wrap(target: PinoLogger, unredacted?: PinoLogger): Logger {
  return {
    ...(unredacted ? { infoUnredacted: (message: string, fields: Record<string, unknown>) => unredacted.info(fields, message) } : {}),
    info: (message, fields) => target.info(fields ?? {}, message),
    warn: (message, fields) => target.warn(fields ?? {}, message),
    error: (message, fields) => target.error(fields ?? {}, message),
    child: (fields) => wrap(target.child(fields)),
  };
}

/** A JSON logger writing to `destination`. */
export function createLogger(destination: DestinationStream): Logger {
  const options = {
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than pino's numbers: what the hand-written logger printed, and easier to grep.
    formatters: { level: (label: string) => ({ level: label }) },
    base: undefined,
  };
  // Two loggers on one stream: lines keep their order.
  return wrap(pino({ ...options, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination), pino(options, destination));
}

/** `log` with `fields` on every line, whether or not it has child(). */
export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  if (log.child) {
    // Built on first use: most requests log only their request line, which does without it.
    let child: Logger | undefined;
    const made = () => (child ??= log.child!(fields));
    return {
      info: (message, more) => made().info(message, more),
      warn: (message, more) => made().warn(message, more),
      error: (message, more) => made().error(message, more),
      child: (more) => withFields(made(), more),
    };
  }
  return {
    info: (message, more) => log.info(message, { ...fields, ...more }),
    warn: (message, more) => log.warn(message, { ...fields, ...more }),
    error: (message, more) => log.error(message, { ...fields, ...more }),
  };
}

/**
 * Request lines go out asynchronously: a synchronous write per request held the event loop on
 * stdout. Lines that arrive while a write is in flight are batched into the next one; nothing waits
 * for a buffer to fill, so a line logged alone (start-up, shutdown) still appears at once. Warnings
 * and errors stay synchronous: rare, and they must survive a crash.
 */
const stdoutLines = pino.destination({ dest: 1, sync: false });

/** Writes what is still queued; on exit (process.exit included), so shutdown loses no line. */
export function flushLogs(): void {
  try {
    stdoutLines.flushSync();
  } catch {
    // Not open yet or already closed: nothing queued that could still be written.
  }
}
process.on('exit', flushLogs);

/** info on stdout, warn and error on stderr, as before pino: the CLI's --json output on stdout stays clean. */
export const consoleLogger: Logger = createLogger(pino.multistream([
  { level: 'info', stream: stdoutLines },
  { level: 'warn', stream: pino.destination({ dest: 2, sync: true }) },
], { dedupe: true }));

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
