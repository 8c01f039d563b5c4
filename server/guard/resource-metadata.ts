// Protected resource metadata (RFC 9728) for every API of the catalog on the issuer's origin: the
// built-in one at `$ISSUER/.well-known/oauth-protected-resource/api`, and an operator's API whose
// resource URL is on this origin. An API elsewhere serves its own with the guard library
// (guard.koaMetadata(), guard.expressMetadata()).
import Router from '@koa/router';
import { RESOURCES, resourceUrl } from '../../config/scopes.ts';
import { protectedResourceMetadata, resourceMetadataPath } from '../../packages/guard/resource-metadata.ts';

export function resourceMetadataRoutes(issuer: string): Router {
  const router = new Router();
  const origin = new URL(issuer).origin;
  for (const api of RESOURCES) {
    const resource = resourceUrl(api.resource, issuer);
    if (new URL(resource).origin !== origin) continue;
    const document = protectedResourceMetadata({
      resource, issuer, scopes: api.scopes, name: api.name, documentation: `${issuer}/docs/scopes`,
    });
    router.get(resourceMetadataPath(resource), (ctx) => {
      ctx.set('Cache-Control', 'public, max-age=3600');
      // Browser-based clients (an MCP inspector, say) read it from another origin.
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.body = document;
    });
  }
  return router;
}
