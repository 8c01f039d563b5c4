// `npm start`: validate settings, open the store, serve.
import { SettingsError, loadSettings, type Settings } from '../config/settings.ts';
import { createLatchkey } from './app.ts';
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
  });
  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    latchkey.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`latchkey: cannot start: ${message}\n`);
  process.exit(1);
}
