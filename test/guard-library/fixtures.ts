// A tiny fake introspection endpoint, and the same small API served by Koa and by Express, both
// protected by the guard library (packages/guard).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import { createGuard, type GuardOptions, type Principal } from '../../packages/guard/index.ts';
import { requireScope as expressScope } from '../../packages/guard/express.ts';
import { requireScope as koaScope } from '../../packages/guard/koa.ts';

export const RS_CLIENT = { clientId: 'rs_test_client', clientSecret: 'rs-test-secret-value' };

export interface FakeIntrospection {
  url: string;
  /** Answers by key; a key not here is inactive. */
  answers: Map<string, Record<string, unknown>>;
  /** Questions asked, by key. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (d: Buffer) => { text += d.toString(); });
    req.on('end', () => resolve(text));
  });
}

export async function fakeIntrospection(): Promise<FakeIntrospection> {
  const answers = new Map<string, Record<string, unknown>>();
  const calls = new Map<string, number>();
  const expected = `Basic ${Buffer.from(`${RS_CLIENT.clientId}:${RS_CLIENT.clientSecret}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      if (req.method !== 'POST' || req.headers.authorization !== expected) {
        // Plain text: the suite's error recorder checks real Latchkey answers, not this fake's.
        res.statusCode = 401;
        res.end('client authentication failed');
        return;
      }
      res.setHeader('content-type', 'application/json');
      const token = new URLSearchParams(text).get('token') ?? '';
      calls.set(token, (calls.get(token) ?? 0) + 1);
      res.end(JSON.stringify(answers.get(token) ?? { active: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token/introspection`, answers, calls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** What the routes answer: the principal, with its scopes as a sorted list. */
export function shown(principal: Principal) {
  return { ...principal, scopes: [...principal.scopes].sort() };
}

export interface App {
  url: string;
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<App> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function koaApp(options: GuardOptions): Promise<App> {
  const guard = createGuard(options);
  const app = new Koa();
  app.silent = true; // the typo route's 500 is expected
  const router = new Router();
  router.get('/things', koaScope('read:contacts'), (ctx) => { ctx.body = shown(ctx.state.principal as Principal); });
  router.post('/things', koaScope('write:contacts'), (ctx) => { ctx.status = 201; ctx.body = { created: true }; });
  router.get('/typo', koaScope('read:contcts'), (ctx) => { ctx.body = {}; });
  app.use(guard.koa()).use(router.routes());
  const handler = app.callback();
  return listen((req, res) => { void handler(req, res); });
}

export function expressApp(options: GuardOptions): Promise<App> {
  const guard = createGuard(options);
  const app = express();
  app.set('env', 'test'); // finalhandler: no stack trace printed for the typo route's 500
  app.use(guard.express());
  app.get('/things', expressScope('read:contacts'), (_req, res) => { res.json(shown(res.locals.principal as Principal)); });
  app.post('/things', expressScope('write:contacts'), (_req, res) => { res.status(201).json({ created: true }); });
  app.get('/typo', expressScope('read:contcts'), (_req, res) => { res.json({}); });
  return listen(app);
}
