// The error handler cannot fail: a header value Node would refuse (CR/LF, characters beyond
// Latin-1) is made safe, and a failure while rendering an error is still our documented 500 body.
import Router from '@koa/router';
import { expect } from 'chai';
import { loadSettings } from '../../config/settings.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { createLatchkey, type Latchkey } from '../../server/app.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { generateSortableId } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { capturingLogger, freePort, startServer, tempDataDir, type TestServer } from '../helpers/server.ts';

/** What a header value may hold on the wire once made safe: visible ASCII, space and tab. */
const SAFE_HEADER = /^[\t\x20-\x7e]*$/;

describe('the error handler', () => {
  describe('a revoked key whose reason a header cannot carry', () => {
    let server: TestServer;
    let accountId: string;
    let pepper: Awaited<ReturnType<typeof loadKeyMaterial>>['pepper'];
    const log = capturingLogger();

    before(async () => {
      server = await startServer({ log });
      ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
      accountId = (await server.createUser()).accountId;
    });
    after(() => server.stop({ removeData: true }));

    // Written through the store, past any validation of reasons: the handler must cope on its own.
    for (const reason of ['laptop\r\nSet-Cookie: x=1', 'lost\nin transit', 'café', 'stolen, €500 damage', 'key 🔑 lost']) {
      it(`answers 401 with a valid WWW-Authenticate for the reason ${JSON.stringify(reason)}`, async () => {
        const { key } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
        const record = (await server.latchkey.store.findApiKeyByHash(pepper.hash(key)))!;
        const at = new Date();
        await server.latchkey.store.revokeApiKey(record.id, at, reason, {
          id: generateSortableId('evt'), accountId, actor: 'cli', action: 'api_key.revoked', targetId: record.id, reason, at,
        });

        const res = await call(server.issuer, 'GET', '/api/v1/contacts', key);
        expect(res.status, JSON.stringify(res.body)).to.equal(401);
        expect(res.body.error?.code).to.equal('invalid_token');
        expect(res.body.error?.message, 'the body (JSON) keeps the reason').to.include(reason);
        const header = res.headers.get('www-authenticate');
        expect(header).to.match(/^Bearer realm="latchkey", error="invalid_token"/);
        expect(header).to.match(SAFE_HEADER);
        expect(res.headers.get('set-cookie')).to.equal(null);
        expect(log.lines.join('\n')).not.to.include('unhandled error');
      });
    }
  });

  describe('a route error that cannot be rendered', () => {
    let latchkey: Latchkey;
    let base: string;
    const log = capturingLogger();

    before(async () => {
      const port = await freePort();
      base = `http://localhost:${port}`;
      const settings = loadSettings({ PORT: String(port), ISSUER: base, DATA_DIR: tempDataDir(), NODE_ENV: 'test', MONGODB_URI: process.env.MONGODB_URI });
      const routes = new Router({ prefix: '/test-errors' });
      routes.get('/header-newline', () => {
        throw new LatchkeyError('conflict', 'no', { headers: { 'X-Reason': 'a\r\nSet-Cookie: evil=1', 'X-Name': 'José €' } });
      });
      routes.get('/unrenderable', () => {
        const err = new LatchkeyError('conflict');
        Object.defineProperty(err, 'headers', { get() { throw new Error('rendering failed'); } });
        throw err;
      });
      latchkey = await createLatchkey(settings, log, { routers: [routes] });
      await latchkey.listen();
    });
    after(async () => latchkey.close());

    it('sends a header value with CR/LF or non-Latin-1 characters made safe, never split', async () => {
      const res = await fetch(`${base}/test-errors/header-newline`, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(409);
      expect(res.headers.get('set-cookie')).to.equal(null);
      for (const name of ['x-reason', 'x-name']) {
        const value = res.headers.get(name);
        if (value !== null) expect(value, name).to.match(SAFE_HEADER);
      }
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('conflict');
    });

    it('answers a failure while rendering an error with the documented 500 body, and logs it', async () => {
      const res = await fetch(`${base}/test-errors/unrenderable`, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(500);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const body = await res.json() as { error: Record<string, unknown> };
      expect(body).to.deep.equal({
        error: { code: 'internal_error', message: 'Something went wrong on our side. It has been logged.', docs_url: `${base}/docs/errors#internal_error` },
      });
      expect(log.lines.some((line) => line.includes('"level":"error"') && line.includes('rendering failed'))).to.equal(true);
    });

    it('does the same where a browser would have had an HTML page', async () => {
      const res = await fetch(`${base}/test-errors/unrenderable`, { headers: { accept: 'text/html' } });
      expect(res.status).to.equal(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('internal_error');
    });
  });
});
