// `npm start`: validate settings, open the store, serve.
// First: the .env file, before any module reads the environment.
import { ENV_FILE } from './env-file.ts';
import { SettingsError, loadSettings, type Settings } from '../config/settings.ts';
import { createLatchkey } from './app.ts';
import { SHUTDOWN_GRACE_MS } from './http/shutdown.ts';
import { consoleLogger as log } from './log.ts';

let settings: Settings;
try {
  settings = loadSettings();
} catch (err) {
  if (err instanceof SettingsError) {
    process.stderr.write(`latchkey: invalid setting ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

try {
  const latchkey = await createLatchkey(settings, log);
  const address = await latchkey.listen();
  log.info('latchkey started', {
    issuer: settings.issuer,
    listening: `${address.address}:${address.port}`,
    store: latchkey.store.description,
    node_env: settings.nodeEnv,
    settings_file: ENV_FILE ?? 'none (the environment only)',
    catalog: settings.catalogFile ?? 'built-in',
  });
  // SIGTERM: drain (readiness 503, still serving), then no new connections; requests in flight get
  // SHUTDOWN_GRACE_MS to finish; then the store closes. SIGINT, or a second signal, skips the drain.
  const cut = new AbortController();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      cut.abort();
      return;
    }
    stopping = true;
    const drainSeconds = signal === 'SIGTERM' ? settings.shutdownDrainSeconds : 0;
    if (signal !== 'SIGTERM') cut.abort();
    log.info('shutting down', { signal, drain_seconds: drainSeconds, grace_ms: SHUTDOWN_GRACE_MS });
    latchkey.drain(cut.signal).then(() => latchkey.close()).then(() => {
      log.info('shut down', { signal });
      process.exit(0);
    }, (err: Error) => {
      log.error('shutdown failed', { signal, error: err.stack });
      process.exit(1);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`latchkey: cannot start: ${message}\n`);
  process.exit(1);
}
