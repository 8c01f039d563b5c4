// Client logos at /logos/<client id>, served from our own origin (never the URL a client gave):
// public, cacheable by digest, and unable to run anything in the page that shows them.
import Router from '@koa/router';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';

export function logoRoutes(store: Store): Router {
  const router = new Router({ prefix: '/logos' });

  router.get('/:clientId', async function serveLogo(ctx) {
    const client = await store.findClient(ctx.params.clientId!);
    const logo = client?.logoDigest ? await store.findClientLogo(client.id) : undefined;
    if (!client || !logo) throw new LatchkeyError('not_found', 'this client has no logo');
    const etag = `"${client.logoDigest}"`;
    // A URL with the current digest never changes; without it, revalidate soon.
    const versioned = ctx.query.v === client.logoDigest;
    ctx.set('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    ctx.set('ETag', etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'");
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = logo.contentType;
    ctx.body = Buffer.from(logo.bytes);
  });

  return router;
}
