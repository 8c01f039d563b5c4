// Client logos: uploaded (type from the content, size limited, never SVG) or fetched once from a URL
// (no redirects, size limited), then served from /logos/<client id> with safe headers.
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

// The smallest valid PNG signature plus a header chunk: enough for the magic-byte check.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000000dIHDR-logo-bytes')]);
const GIF = Buffer.from('GIF89a-tiny-logo');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe('client logos', () => {
  let server: TestServer;
  let admin: string;
  let accountId: string;
  let images: Server;
  let imagesUrl: string;

  before(async () => {
    server = await startServer();
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    accountId = (await server.createUser('Logo Co')).accountId;
    admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:clients', 'write:clients', 'read:contacts'], actor: 'cli' })).key;
    recordSecret(admin);
    images = createServer((req, res) => {
      if (req.url === '/logo.gif') res.writeHead(200, { 'content-type': 'image/gif' }).end(GIF);
      else if (req.url === '/moved') res.writeHead(302, { location: '/logo.gif' }).end();
      else if (req.url === '/huge') res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([PNG, Buffer.alloc(LIMITS.logoMaxBytes)]));
      else if (req.url === '/logo.svg') res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imagesUrl = `http://127.0.0.1:${(images.address() as { port: number }).port}`;
  });
  after(async () => {
    images.close();
    await server.stop({ removeData: true });
  });

  const webApp = (extra: Record<string, unknown> = {}) => ({
    name: 'Logo app', type: 'web', scopes: ['read:contacts'], redirect_uris: ['https://logo.example/cb'], ...extra,
  });

  async function newApp(extra: Record<string, unknown> = {}) {
    const created = await call(server.issuer, 'POST', '/v1/clients', admin, webApp(extra));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    recordSecret(String(created.body.client_secret));
    return created.body;
  }

  function upload(id: string, body: Buffer, type: string) {
    return fetch(`${server.issuer}/v1/clients/${id}/logo`, {
      method: 'PUT', body, headers: { authorization: `Bearer ${admin}`, 'content-type': type, accept: 'application/json' },
    });
  }

  it('takes an upload, serves it from our origin with safe headers, and refuses bad ones', async () => {
    const app = await newApp();
    const uploaded = await upload(String(app.id), PNG, 'image/png');
    expect(uploaded.status).to.equal(200);
    const logoUrl = String(((await uploaded.json()) as { logo_url: string }).logo_url);
    expect(logoUrl).to.match(new RegExp(`^${server.issuer}/logos/${String(app.id)}\\?v=`));
    const served = await fetch(logoUrl);
    expect(served.status).to.equal(200);
    expect(served.headers.get('content-type')).to.equal('image/png');
    expect(served.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(served.headers.get('content-security-policy')).to.equal("default-src 'none'");
    expect(served.headers.get('cache-control')).to.include('immutable');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).to.equal(true);
    const etag = served.headers.get('etag')!;
    expect((await fetch(logoUrl, { headers: { 'if-none-match': etag } })).status).to.equal(304);

    const cases: [Buffer, string, RegExp][] = [
      [SVG, 'image/svg+xml', /SVG/],
      [Buffer.from('plain text pretending'), 'image/png', /PNG, JPEG, GIF or WebP/],
      [GIF, 'image/png', /declared as image\/png/],
      [Buffer.concat([PNG, Buffer.alloc(LIMITS.logoMaxBytes)]), 'image/png', /at most/],
    ];
    for (const [body, type, message] of cases) {
      const refused = await upload(String(app.id), body, type);
      expect(refused.status, type).to.equal(400);
      const error = ((await refused.json()) as { error: { code: string; field: string; message: string } }).error;
      expect(error).to.deep.include({ code: 'validation_failed', field: 'logo' });
      expect(error.message).to.match(message);
    }
  });

  it('fetches a logo once from logo_url at registration', async () => {
    const app = await newApp({ logo_url: `${imagesUrl}/logo.gif` });
    const served = await fetch(String(app.logo_url));
    expect(served.headers.get('content-type')).to.equal('image/gif');
    expect(Buffer.from(await served.arrayBuffer()).equals(GIF)).to.equal(true);
  });

  it('refuses a logo_url that redirects, is too large, is SVG or is not found', async () => {
    for (const path of ['/moved', '/huge', '/logo.svg', '/missing']) {
      const refused = await call(server.issuer, 'POST', '/v1/clients', admin, webApp({ logo_url: `${imagesUrl}${path}` }));
      expect(refused.status, path).to.equal(400);
      expect(refused.body.error, path).to.deep.include({ code: 'validation_failed', field: 'logo_url' });
    }
  });

  it('removes a logo, then /logos answers 404 in the documented body', async () => {
    const app = await newApp({ logo_url: `${imagesUrl}/logo.gif` });
    const removed = await call(server.issuer, 'PATCH', `/v1/clients/${String(app.id)}`, admin, { logo_url: null });
    expect(removed.body.logo_url).to.equal(null);
    const gone = await call(server.issuer, 'GET', `/logos/${String(app.id)}`);
    expect(gone.status).to.equal(404);
    expect(gone.body.error).to.deep.include({ code: 'not_found' });
    expect((await call(server.issuer, 'GET', '/logos/client_test_nope')).status).to.equal(404);
  });
});
