// Behind a proxy (TRUST_PROXY=true) the request's host and scheme come from ISSUER and the proxy's
// own X-Forwarded-Proto entry, never from what the client sent: not X-Forwarded-Host, not a Host
// header, not an X-Forwarded-Proto entry in front of the proxy's.
import { request } from 'node:http';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startServer, type TestServer } from '../helpers/server.ts';

/** A GET with any Host header (fetch will not send a made-up one). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every URL in a discovery document. */
function urlsIn(metadata: Record<string, unknown>): string[] {
  return Object.values(metadata).flatMap((value) => (typeof value === 'string' && /^https?:/.test(value) ? [value] : []));
}

describe('requests pinned to the issuer behind a proxy (TRUST_PROXY=true)', () => {
  let server: TestServer;
  before(async () => { server = await startServer({ env: { TRUST_PROXY: 'true' } }); });
  after(() => server.stop({ removeData: true }));

  const forged: Record<string, string>[] = [
    { 'x-forwarded-host': 'evil.example' },
    { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    { host: 'evil.example' },
    { host: 'evil.example:8443', 'x-forwarded-host': 'evil.example, also.evil.example' },
  ];
  for (const headers of forged) {
    it(`names only the issuer's URLs in discovery, with ${JSON.stringify(headers)}`, async () => {
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const res = await get(`${server.issuer}${path}`, headers);
        expect(res.status, res.body).to.equal(200);
        expect(res.body, path).not.to.include('evil.example');
        const urls = urlsIn(JSON.parse(res.body) as Record<string, unknown>);
        expect(urls, path).to.include(`${server.issuer}/token`);
        for (const url of urls) expect(url.startsWith(`${server.issuer}/`) || url === server.issuer, url).to.equal(true);
      }
    });
  }

  it('refuses a private_key_jwt assertion made out to the forwarded host', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...await exportJWK(publicKey), alg: 'ES256', use: 'sig', kid: 'k' };
    const created = await server.createClient({ name: 'Forwarded Svc', type: 'service', scopes: 'read:billing', jwks: { keys: [jwk] } });
    const now = Math.floor(Date.now() / 1000);
    const token = async (aud: string, headers: Record<string, string>) => {
      const assertion = await new SignJWT({ jti: crypto.randomUUID(), aud, iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer(created.clientId).setSubject(created.clientId).sign(privateKey);
      const response = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({
          grant_type: 'client_credentials', scope: 'read:billing', client_id: created.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
        }).toString(),
      });
      return { status: response.status, body: await response.json() as { error?: string } };
    };
    const evil = await token('https://evil.example/token', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect(evil.status, JSON.stringify(evil.body)).to.equal(401);
    expect(evil.body.error).to.equal('invalid_client');
    const https = await token(`${server.issuer.replace('http:', 'https:')}/token`, { 'x-forwarded-proto': 'https' });
    expect(https.status, 'an https audience for an http issuer').to.equal(401);
    expect((await token(`${server.issuer}/token`, { 'x-forwarded-host': 'evil.example' })).status, 'ours, whatever the header').to.equal(200);
  });
});

describe('production behind a proxy: the scheme is the proxy\'s X-Forwarded-Proto entry', () => {
  const ISSUER = 'https://auth.example.test';
  let server: TestServer;
  before(async () => { server = await startServer({ env: { NODE_ENV: 'production', ISSUER, TRUST_PROXY: 'true' } }); });
  after(() => server.stop({ removeData: true }));

  const discovery = (proto: string) => fetch(`${server.issuer}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json', 'x-forwarded-proto': proto },
  });

  for (const proto of ['https, http', 'https,http', 'https, https, http']) {
    it(`answers 400 https_required when the proxy says http after a client's "https" (${proto})`, async () => {
      const res = await discovery(proto);
      expect(res.status).to.equal(400);
      expect((await res.json() as { error: { code: string } }).error.code).to.equal('https_required');
    });
  }

  it('serves the issuer\'s https URLs when the proxy says https, whatever came before', async () => {
    for (const proto of ['https', 'http, https']) {
      const res = await discovery(proto);
      expect(res.status, proto).to.equal(200);
      const metadata = await res.json() as { issuer: string; token_endpoint: string };
      expect(metadata.token_endpoint).to.equal(`${ISSUER}/token`);
    }
  });
});
