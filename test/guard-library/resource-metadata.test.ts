// Protected resource metadata (RFC 9728, issue 24 item 1): the issuer publishes a document for each
// catalog API on its origin at the URL section 3.1 derives, and every 401 and 403 challenge names
// it; the guard library serves its own API's document, on the API's origin, and names it the same way.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { expect } from 'chai';
import { createGuard } from '../../packages/guard/index.ts';
import { resourceMetadataUrl } from '../../packages/guard/resource-metadata.ts';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { RS_CLIENT } from './fixtures.ts';

describe('protected resource metadata (RFC 9728)', () => {
  let latchkey: TestServer;
  before(async () => { latchkey = await startServer(); });
  after(() => latchkey.stop({ removeData: true }));

  it('derives the document URL by inserting the well-known suffix before the path', () => {
    expect(resourceMetadataUrl('https://api.example.com/orders')).to.equal('https://api.example.com/.well-known/oauth-protected-resource/orders');
    expect(resourceMetadataUrl('https://api.example.com/')).to.equal('https://api.example.com/.well-known/oauth-protected-resource');
    expect(resourceMetadataUrl('https://as.example.com/tenant/api')).to.equal('https://as.example.com/.well-known/oauth-protected-resource/tenant/api');
  });

  it('publishes the built-in API\'s document, naming the authorization server, its scopes and bearer methods', async () => {
    const resource = `${latchkey.issuer}/api`;
    const response = await fetch(`${latchkey.issuer}/.well-known/oauth-protected-resource/api`);
    expect(response.status).to.equal(200);
    const document = await response.json() as Record<string, unknown>;
    expect(document).to.deep.include({ resource, authorization_servers: [latchkey.issuer], bearer_methods_supported: ['header'] });
    expect(document.scopes_supported).to.include.members(['read:contacts', 'read:members']);
    expect((await fetch(`${latchkey.issuer}/.well-known/oauth-protected-resource`)).status, 'no document for the bare origin').to.equal(404);
  });

  it('names the document in every challenge of the built-in guard: no credential, a bad one, a missing scope', async () => {
    const metadata = `resource_metadata="${latchkey.issuer}/.well-known/oauth-protected-resource/api"`;
    const none = await fetch(`${latchkey.issuer}/api/v1/contacts`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.equal(`Bearer realm="latchkey", ${metadata}`);
    const bad = await fetch(`${latchkey.issuer}/api/v1/contacts`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.headers.get('www-authenticate')).to.include('error="invalid_token"').and.include(metadata);
    const client = await latchkey.createClient({ name: 'narrow', type: 'service', scopes: 'read:events' });
    const { access_token } = await clientCredentials(await discover(latchkey.issuer), client.clientId, client.clientSecret, 'read:events');
    const narrow = await fetch(`${latchkey.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(narrow.status).to.equal(403);
    expect(narrow.headers.get('www-authenticate')).to.include('error="insufficient_scope"').and.include(metadata);
  });

  it('the guard library serves its own API\'s document on the API\'s origin and names it in its challenges', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const guard = createGuard({
      issuer: latchkey.issuer, resource: `${origin}/orders`, scopes: API_SCOPE_NAMES, resourceName: 'Orders API', introspection: RS_CLIENT,
    });
    const app = new Koa();
    app.use(guard.koaMetadata()).use(guard.koa()).use((ctx) => { ctx.body = 'ok'; });
    const handle = app.callback();
    server.on('request', (req, res) => { void handle(req, res); });
    try {
      const document = await (await fetch(`${origin}/.well-known/oauth-protected-resource/orders`)).json() as Record<string, unknown>;
      expect(document).to.deep.include({ resource: `${origin}/orders`, authorization_servers: [latchkey.issuer], resource_name: 'Orders API' });
      const refused = await fetch(`${origin}/orders`);
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('www-authenticate')).to.include(`resource_metadata="${origin}/.well-known/oauth-protected-resource/orders"`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
