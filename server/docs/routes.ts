// /docs (the index: every page by audience, and the scope, lifetime and error tables) and
// /docs/<page> (docs/<page>.md) with the sidebar and "On this page". The examples name the running
// issuer; to a signed-in portal user they also name the account's own test client.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import { PORTAL_PAGE_CSP } from '../http/security-headers.ts';
import { renderView } from '../http/views.ts';
import { sidebarOf } from './layout.ts';
import { apiReferenceMarkdown } from './api-reference.ts';
import { openApiDocument } from './openapi.ts';
import { loadDocs } from './pages.ts';

/** What the examples say where the reader's own client id goes. */
const CLIENT_ID_MARKER = 'YOUR_TEST_CLIENT_ID';

export interface DocsOptions {
  readonly store?: Store;
  readonly sessions?: PortalSessions;
  /** The API description (openapi.ts), built once at boot and shared with /openapi.json: /docs/api renders it. */
  readonly apiDescription?: Record<string, unknown>;
}

export function docsRoutes(issuer: string, options: DocsOptions = {}): Router {
  const router = new Router({ prefix: '/docs' });
  // Markdown is rendered once here, at boot; a request only fills the page layout.
  const apiDescription = options.apiDescription ?? openApiDocument(issuer, true);
  const { pages, index } = loadDocs(undefined, issuer, new Map([['api', apiReferenceMarkdown(apiDescription)]]));
  const sidebar = sidebarOf(new Map([...pages.values()].map((p) => [p.name, p.title])));

  /** The signed-in reader's newest test client (a service or web app), if any. */
  async function readersClient(ctx: Context): Promise<string | undefined> {
    const session = options.sessions ? await options.sessions.current(ctx) : undefined;
    if (!session || !options.store) return undefined;
    const clients = await options.store.listClients(session.accountId);
    return clients.filter((c) => c.environment === 'test' && (c.type === 'service' || c.type === 'web')).at(-1)?.id;
  }

  /** Docs pages run one script of ours (static/copy.js: the copy buttons). */
  const withCopyScript = (ctx: Context) => ctx.set('Content-Security-Policy', PORTAL_PAGE_CSP);

  router.get('/', async (ctx) => {
    await renderView(ctx, 'docs', { issuer, html: index, scripts: true });
    withCopyScript(ctx);
  });
  router.get('/:page', async (ctx) => {
    const page = pages.get(ctx.params.page!);
    if (!page) throw new LatchkeyError('not_found');
    const clientId = page.html.includes(CLIENT_ID_MARKER) ? await readersClient(ctx) : undefined;
    await renderView(ctx, 'docs-page', {
      title: page.title, name: page.name, html: clientId ? page.html.replaceAll(CLIENT_ID_MARKER, clientId) : page.html,
      sections: page.sections, sidebar, personalised: Boolean(clientId), scripts: true,
    });
    withCopyScript(ctx);
  });
  return router;
}

/** GET /openapi.json: the API description (OpenAPI 3.1), serialized once; anyone may read it, from any origin. */
export function openApiRoutes(apiDescription: Record<string, unknown>): Router {
  const router = new Router();
  const document = JSON.stringify(apiDescription, null, 2);
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.type = 'application/json';
    ctx.body = document;
  });
  return router;
}
