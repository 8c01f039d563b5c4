// The benchmark's server: the real Latchkey app as `npm start` runs it (production logger, pino on
// stdout, which bench/run.ts points at /dev/null; metrics and rate limits as configured by default),
// plus one baseline route that serves the same Partner API read (the contact list) through the same
// middleware but with no credential check. The baseline exists only in this file; the product has
// no uncredentialed route. Tells bench/run.ts 'ready' over the IPC channel.
import Router from '@koa/router';
import type { PartitionKey } from '../adapters/contract.ts';
import { loadSettings } from '../config/settings.ts';
import { createLatchkey } from '../server/app.ts';
import { noStore } from '../server/http/middleware.ts';
import { consoleLogger } from '../server/log.ts';
import { listHandler } from '../server/partner-api/routes.ts';

const settings = loadSettings();
const partition: PartitionKey = { kind: 'contact', accountId: process.env.BENCH_ACCOUNT!, environment: 'test' };
const baseline = new Router({ prefix: '/api/v1/baseline' });
const latchkey = await createLatchkey(settings, consoleLogger, { routers: [baseline] });
baseline.get('/contacts', noStore, listHandler(latchkey.store, 'contact', () => partition));
await latchkey.listen();
process.send!('ready');
// Exit normally on SIGTERM (or when bench/run.ts goes away) so that --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
