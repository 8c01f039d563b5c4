// Docs pages generated from config/: the scope catalog, token lifetimes and error codes.
import Router from '@koa/router';
import { ERROR_CODES } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { SCOPES } from '../../config/scopes.ts';
import { renderView } from '../interactions/render.ts';

export function docsRoutes(issuer: string): Router {
  const router = new Router({ prefix: '/docs' });
  const lifetimes = Object.entries(LIFETIMES).map(([name, seconds]) => ({ name, seconds, human: humanDuration(seconds) }));
  const errors = Object.entries(ERROR_CODES).map(([code, { status, message }]) => ({ code, status, message }));

  router.get('/', async (ctx) => {
    await renderView(ctx, 'docs', { issuer, scopes: SCOPES, lifetimes, errors });
  });
  // Every docs link (/docs/scopes#read:contacts, /docs/errors#...) lands on the one page.
  router.get('/:section', (ctx) => {
    if (!['scopes', 'tokens', 'errors'].includes(ctx.params.section!)) return;
    ctx.redirect(`/docs#${ctx.params.section}`);
  });
  return router;
}
