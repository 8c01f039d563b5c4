// Our routers are reached by the path's first segment (server/assembly/router-dispatch.ts), so a
// /token request no longer tests every route pattern. What routing answered before still answers:
// a first segment in any case (as @koa/router matches), oidc-provider's paths, unknown paths, and a
// route an embedder adds to its router after the app is made.
import Router from '@koa/router';
import { expect } from 'chai';
import { loadSettings } from '../../config/settings.ts';
import { createLatchkey, type Latchkey } from '../../server/app.ts';
import { runJwks } from '../helpers/run-fixtures.ts';
import { testLogger } from '../helpers/secret-registry.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';

describe('routing by first segment', function () {
  this.timeout(30_000);
  let latchkey: Latchkey;
  let issuer: string;
  const embedder = new Router({ prefix: '/embedded' });

  before(async () => {
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    const settings = loadSettings({ PORT: String(port), ISSUER: issuer, DATA_DIR: tempDataDir(), NODE_ENV: 'test', LATCHKEY_JWKS: runJwks() });
    latchkey = await createLatchkey(settings, testLogger(), { routers: [embedder] });
    await latchkey.listen();
  });
  after(() => latchkey?.close());

  it('matches the first segment in any case, as @koa/router does', async () => {
    for (const path of ['/docs/tokens', '/DOCS/tokens', '/Docs/tokens']) {
      const res = await fetch(`${issuer}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).to.equal(200);
      expect(await res.text(), path).to.include('<h1');
    }
  });

  it('leaves oidc-provider its paths and answers unknown ones as before', async () => {
    expect((await fetch(`${issuer}/jwks`)).status).to.equal(200);
    expect((await fetch(`${issuer}/.well-known/openid-configuration`)).status).to.equal(200);
    const unknownApi = await fetch(`${issuer}/v1/nothing-here`, { headers: { accept: 'application/json' } });
    expect(unknownApi.status).to.equal(404);
    expect(((await unknownApi.json()) as { error: { code: string } }).error.code).to.equal('not_found');
    expect((await fetch(`${issuer}/nothing-here`, { headers: { accept: 'text/html' } })).status).to.equal(404);
  });

  it('reaches a route its router gained after the app was made', async () => {
    expect((await fetch(`${issuer}/embedded/hello`, { headers: { accept: 'text/html' } })).status, 'not yet').to.equal(404);
    embedder.get('/hello', (ctx) => { ctx.body = { hello: 'world' }; });
    const res = await fetch(`${issuer}/embedded/hello`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ hello: 'world' });
  });
});
