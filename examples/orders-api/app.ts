// The Orders API: a few routes, each naming the scope it needs, orders kept in memory per account
// and environment. Authentication and scope checks are the guard library's (@latchkey/guard).
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { createGuard, type Principal } from '@latchkey/guard';
import { requireScope } from '@latchkey/guard/koa';
import type { OrdersConfig } from './config.ts';

interface Order {
  id: string;
  item: string;
  quantity: number;
  created_at: string;
}

const MAX_BODY = 16 * 1024;

/** Our own 400s, in the same shape as the guard's errors. */
function invalid(ctx: Context, message: string, field?: string): void {
  ctx.status = 400;
  ctx.body = { error: { code: 'validation_failed', message, ...(field ? { field } : {}) } };
}

async function readJson(ctx: Context): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function ordersApp(config: OrdersConfig, log: (line: string) => void): Koa {
  const guard = createGuard({
    issuer: config.issuer,
    resource: config.resource,
    scopes: ['read:orders', 'write:orders'],
    resourceName: 'Orders API',
    introspection: { clientId: config.clientId, clientSecret: config.clientSecret },
    cacheSeconds: config.cacheSeconds,
    onError: (error) => log(`latchkey unreachable: ${error.message}`),
  });
  /** Orders by account and environment: a test key never sees live orders. */
  const orders = new Map<string, Order[]>();
  const ordersOf = (principal: Principal) => {
    const partition = `${principal.accountId}/${principal.environment}`;
    if (!orders.has(partition)) orders.set(partition, []);
    return orders.get(partition)!;
  };
  let counter = 0;

  const router = new Router();
  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/orders', guard.koa(), requireScope('read:orders'), (ctx) => {
    ctx.body = { object: 'list', data: ordersOf(ctx.state.principal as Principal) };
  });
  router.post('/orders', guard.koa(), requireScope('write:orders'), async (ctx) => {
    const input = await readJson(ctx) as { item?: unknown; quantity?: unknown } | undefined;
    if (!input || typeof input !== 'object') return invalid(ctx, 'the body must be a JSON object of at most 16 KiB');
    if (typeof input.item !== 'string' || !input.item.trim() || input.item.length > 200) return invalid(ctx, 'item must be a name of 1 to 200 characters', 'item');
    const quantity = input.quantity ?? 1;
    if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 1000) return invalid(ctx, 'quantity must be a whole number from 1 to 1000', 'quantity');
    counter += 1;
    const order: Order = { id: `ord_${counter}`, item: input.item, quantity: quantity as number, created_at: new Date().toISOString() };
    ordersOf(ctx.state.principal as Principal).push(order);
    ctx.status = 201;
    ctx.body = order;
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    ctx.set('Cache-Control', 'no-store');
  });
  // Where a refused client learns which authorization server to ask (RFC 9728); every 401 names it.
  app.use(guard.koaMetadata());
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
