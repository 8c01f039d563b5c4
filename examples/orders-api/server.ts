// Starts the Orders API on 127.0.0.1:$PORT (see README.md). In examples/orders-api, after npm install:
//   npm start
import type Koa from 'koa';
import { loadConfig, type OrdersConfig } from './config.ts';
import { ordersApp } from './app.ts';

const log = (line: string) => { process.stderr.write(`${line}\n`); };

let config: OrdersConfig;
let app: Koa;
try {
  config = loadConfig(process.env);
  app = ordersApp(config, log);
} catch (err) {
  // A missing or bad setting: its name, not a stack trace.
  log(`orders-api: ${(err as Error).message}`);
  process.exit(1);
}

const server = app.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`orders-api listening on http://127.0.0.1:${port} (resource ${config.resource})\n`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
