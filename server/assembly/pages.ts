// The few pages outside every capability: /static/<file> (an allow-list read at boot), /healthz,
// /readyz, and the landing page (JSON for API clients).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import { noStore } from '../http/middleware.ts';
import { renderView } from '../http/views.ts';
import { healthz, readyz } from '../metrics/endpoint.ts';
import type { Dependencies } from './dependencies.ts';

const STATIC_DIR = join(import.meta.dirname, '..', '..', 'static');
const STATIC_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
const STATIC_MAX_AGE_SECONDS = 3600;

/** Every css and js file of static/, read once at boot: the allow-list /static/<file> serves. */
function loadStaticFiles(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = STATIC_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type && /^[\w.-]+$/.test(name)) files.set(name, { type, body: readFileSync(join(STATIC_DIR, name)) });
  }
  return files;
}

export function pageRoutes(d: Dependencies): Router {
  const { settings, store, keys } = d;
  const pages = new Router();
  const staticFiles = loadStaticFiles();
  pages.get('/static/:file', async (ctx, next) => {
    const file = staticFiles.get(ctx.params.file!);
    if (!file) {
      await next();
      return;
    }
    ctx.type = file.type;
    ctx.set('Cache-Control', `public, max-age=${STATIC_MAX_AGE_SECONDS}`);
    ctx.body = file.body;
  });
  pages.get('/healthz', healthz);
  pages.get('/readyz', readyz(store, () => keys.jwks.keys.length > 0, () => d.draining.active));
  pages.get('/', noStore, async (ctx) => {
    const about = {
      name: 'Latchkey',
      issuer: settings.issuer,
      discovery: `${settings.issuer}/.well-known/oauth-authorization-server`,
      docs: `${settings.issuer}/docs`,
    };
    // Browsers get a page with the ways in; API clients keep the JSON.
    if (ctx.accepts('json', 'html') === 'html') await renderView(ctx, 'landing', about);
    else ctx.body = about;
  });
  return pages;
}
