// /docs (the index: every page, and the scope, lifetime and error tables) and /docs/<page> (docs/<page>.md).
import Router from '@koa/router';
import { LatchkeyError } from '../../config/errors.ts';
import { renderView } from '../http/views.ts';
import { loadDocs } from './pages.ts';

export function docsRoutes(issuer: string): Router {
  const router = new Router({ prefix: '/docs' });
  // Markdown is rendered once here, at boot; a request only fills the page layout.
  const { pages, index } = loadDocs(undefined, issuer);

  router.get('/', async (ctx) => {
    await renderView(ctx, 'docs', { issuer, html: index });
  });
  router.get('/:page', async (ctx) => {
    const page = pages.get(ctx.params.page!);
    if (!page) throw new LatchkeyError('not_found');
    await renderView(ctx, 'docs-page', { title: page.title, html: page.html });
  });
  return router;
}
