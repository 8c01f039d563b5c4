// The benchmark's server: the real Latchkey app, plus one baseline route that serves the same
// Partner API read (the contact list) through the same middleware but with no credential check.
// The baseline exists only in this file; the product has no uncredentialed route.
import { createServer } from 'node:http';
import Router from '@koa/router';
import type { PartitionKey } from '../adapters/contract.ts';
import { loadSettings } from '../config/settings.ts';
import { createLatchkey } from '../server/app.ts';
import { noStore } from '../server/http/middleware.ts';
import { silentLogger } from '../server/log.ts';
import { listHandler } from '../server/partner-api/routes.ts';

const settings = loadSettings();
const partition: PartitionKey = { kind: 'contact', accountId: process.env.BENCH_ACCOUNT!, environment: 'test' };
const baseline = new Router({ prefix: '/api/v1/baseline' });
const latchkey = await createLatchkey(settings, silentLogger, { routers: [baseline] });
baseline.get('/contacts', noStore, listHandler(latchkey.store, 'contact', () => partition));

const handle = latchkey.app.callback();
createServer((req, res) => { void handle(req, res); }).listen(settings.port, settings.host, () => {
  process.stdout.write('ready\n');
});
// Exit normally on SIGTERM so that --cpu-prof (BENCH_PROFILE=1) can write its profile.
process.once('SIGTERM', () => process.exit(0));
