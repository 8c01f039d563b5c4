// ECDSA signatures are malleable: when (r, s) verifies, so does (r, n − s). Latchkey hands out its
// ES256 tokens in the low-S form only, and the guard library refuses the high-S twin, so one token
// has one spelling (a cache, a deny-list or a log keyed by the token cannot be sidestepped).
import { expect } from 'chai';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { koaApp, RS_CLIENT, type App } from './fixtures.ts';
import { highSTwin, isLowS } from '../helpers/ecdsa.ts';

describe('ES256 signatures in low-S form', function () {
  this.timeout(30_000);
  let latchkey: TestServer;
  let tokens: string[];
  let app: App;

  before(async () => {
    latchkey = await startServer();
    const client = await latchkey.createClient({ name: 'svc', type: 'service', scopes: API_SCOPE_NAMES.join(' ') });
    const as = await discover(latchkey.issuer);
    // 32 tokens: were s left as the signer drew it, all 32 would be low with probability 2^-32.
    tokens = await Promise.all(Array.from({ length: 32 }, () => clientCredentials(as, client.clientId, client.clientSecret, 'read:contacts').then((t) => t.access_token)));
    app = await koaApp({ issuer: latchkey.issuer, resource: `${latchkey.issuer}/api`, introspection: RS_CLIENT });
  });
  after(async () => {
    await app?.close();
    await latchkey?.stop();
  });

  it('every access token Latchkey issues has a low s', () => {
    expect(tokens.filter((t) => !isLowS(t)).length).to.equal(0);
  });

  it('the guard library refuses the high-S twin of a genuine token, and the built-in guard too', async () => {
    const [token] = tokens as [string];
    expect((await call(app.url, 'GET', '/things', token)).status, 'the genuine token').to.equal(200);
    const res = await call(app.url, 'GET', '/things', highSTwin(token));
    expect(res.status).to.equal(401);
    expect(res.body.error?.code).to.equal('invalid_token');
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', highSTwin(token))).status).to.equal(401);
  });
});
