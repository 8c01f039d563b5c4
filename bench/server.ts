// The benchmark's server: the real Latchkey app as `npm start` runs it (production logger, pino on
// stdout, which bench/run.ts points at /dev/null; metrics and rate limits as configured by default),
// plus two baseline routes that serve the same Partner API read (the contact list) through the same
// middleware but without the guard: one with no credential check at all, one that only verifies the
// bearer JWT's ES256 signature with node:crypto (the raw verify jwt_cold is compared with, paid in
// this process under the same load). The baselines exist only in this file; the product has no
// uncredentialed route. Tells bench/run.ts 'ready' over the IPC channel.
import { createPublicKey, verify } from 'node:crypto';
import Router from '@koa/router';
import type { JWK } from 'jose';
import type { Context, Next } from 'koa';
import type { PartitionKey } from '../adapters/contract.ts';
import { loadSettings } from '../config/settings.ts';
import { createLatchkey } from '../server/app.ts';
import { noStore } from '../server/http/middleware.ts';
import { consoleLogger } from '../server/log.ts';
import { listHandler } from '../server/partner-api/routes.ts';

const settings = loadSettings();
const partition: PartitionKey = { kind: 'contact', accountId: process.env.BENCH_ACCOUNT!, environment: 'test' };
const signingKey = createPublicKey({ key: JSON.parse(process.env.BENCH_VERIFY_JWK!) as JWK, format: 'jwk' });

/** A signature check and nothing else: no header or claims parsing, no cache. */
async function rawVerify(ctx: Context, next: Next) {
  const token = ctx.get('authorization').slice('Bearer '.length);
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (!verify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), { key: signingKey, dsaEncoding: 'ieee-p1363' }, signature)) ctx.throw(401);
  await next();
}

const baseline = new Router({ prefix: '/api/v1/baseline' });
const latchkey = await createLatchkey(settings, consoleLogger, { routers: [baseline] });
const list = listHandler(latchkey.store, 'contact', () => partition);
baseline.get('/contacts', noStore, list);
baseline.get('/raw-verify/contacts', noStore, rawVerify, list);
await latchkey.listen();
process.send!('ready');
// Exit normally on SIGTERM (or when bench/run.ts goes away) so that --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
