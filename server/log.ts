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
}

/** Fields that carry a credential wherever they appear: request bodies, token answers, headers. */
const SECRET_FIELDS = ['client_secret', 'client_assertion', 'refresh_token', 'access_token', 'id_token', 'code', 'code_verifier', 'password', 'token'];
const SECRET_HEADERS = ['.authorization', '.cookie', '["set-cookie"]'];

export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers${header}`, `*.headers${header}`]),
];

function wrap(target: PinoLogger): Logger {
  return {
    info: (message, fields) => target.info(fields ?? {}, message),
    warn: (message, fields) => target.warn(fields ?? {}, message),
    error: (message, fields) => target.error(fields ?? {}, message),
    child: (fields) => wrap(target.child(fields)),
  };
}

/** A JSON logger writing to `destination` (default stdout). */
export function createLogger(destination?: DestinationStream): Logger {
  const options = {
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than pino's numbers: what the hand-written logger printed, and easier to grep.
    formatters: { level: (label: string) => ({ level: label }) },
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return wrap(destination ? pino(options, destination) : pino(options));
}

/** `log` with `fields` on every line, whether or not it has child(). */
export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  if (log.child) return log.child(fields);
  return {
    info: (message, more) => log.info(message, { ...fields, ...more }),
    warn: (message, more) => log.warn(message, { ...fields, ...more }),
    error: (message, more) => log.error(message, { ...fields, ...more }),
  };
}

/** info on stdout, warn and error on stderr, as before pino: the CLI's --json output on stdout stays clean. */
export const consoleLogger: Logger = createLogger(pino.multistream([
  { level: 'info', stream: pino.destination({ dest: 1, sync: true }) },
  { level: 'warn', stream: pino.destination({ dest: 2, sync: true }) },
], { dedupe: true }));

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
