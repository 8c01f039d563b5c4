// Bad input on every OAuth endpoint: an RFC 6749 error body, Cache-Control: no-store, never a 500.
import { expect } from 'chai';
import { startServer, type TestServer } from '../helpers/server.ts';

interface Case {
  name: string;
  path: string;
  body?: string;
  contentType?: string;
  auth?: 'valid' | 'garbage' | 'none' | 'web';
  expectError: string | RegExp;
  method?: string;
}

describe('bad input on the OAuth endpoints', () => {
  let server: TestServer;
  let basic: string;
  let webBasic: string;

  before(async () => {
    server = await startServer();
    const service = await server.createClient({ name: 'Svc', type: 'service', scopes: 'read:contacts' });
    basic = `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`;
    const web = await server.createClient({ name: 'Web', type: 'web', scopes: 'read:contacts offline_access', redirectUris: ['https://app.example/cb'] });
    webBasic = `Basic ${Buffer.from(`${web.clientId}:${web.clientSecret}`).toString('base64')}`;
  });
  after(() => server.stop({ removeData: true }));

  const form = 'application/x-www-form-urlencoded';
  const huge = `grant_type=client_credentials&scope=${'a'.repeat(200_000)}`;
  const cases: Case[] = [
    { name: 'token: missing grant_type', path: '/token', body: 'scope=read:contacts', expectError: 'invalid_request' },
    { name: 'token: unknown grant_type', path: '/token', body: 'grant_type=password&username=a&password=b', expectError: 'unsupported_grant_type' },
    { name: 'token: duplicated scope', path: '/token', body: 'grant_type=client_credentials&scope=read:contacts&scope=read:contacts', expectError: 'invalid_request' },
    { name: 'token: JSON body', path: '/token', body: '{"grant_type":"client_credentials"}', contentType: 'application/json', expectError: 'invalid_request' },
    { name: 'token: text body', path: '/token', body: 'grant_type=client_credentials', contentType: 'text/plain', expectError: 'invalid_request' },
    { name: 'token: oversized body', path: '/token', body: huge, expectError: 'invalid_request' },
    { name: 'token: malformed form encoding', path: '/token', body: 'grant_type=%E0%A4%A&scope=%', expectError: /invalid_request|unsupported_grant_type|invalid_scope/ },
    { name: 'token: garbage Basic credentials', path: '/token', body: 'grant_type=client_credentials&scope=read:contacts', auth: 'garbage', expectError: /invalid_client|invalid_request/ },
    { name: 'token: no credentials', path: '/token', body: 'grant_type=client_credentials&scope=read:contacts', auth: 'none', expectError: /invalid_client|invalid_request/ },
    { name: 'token: unknown client_id in body', path: '/token', body: 'grant_type=client_credentials&client_id=nope&client_secret=x', auth: 'none', expectError: 'invalid_client' },
    { name: 'token: garbage authorization code', path: '/token', body: 'grant_type=authorization_code&code=garbage&redirect_uri=https://app.example/cb&code_verifier=' + 'a'.repeat(43), auth: 'web', expectError: 'invalid_grant' },
    { name: 'token: garbage refresh token', path: '/token', body: 'grant_type=refresh_token&refresh_token=garbage', auth: 'web', expectError: 'invalid_grant' },
    { name: 'token: a grant the client may not use', path: '/token', body: 'grant_type=refresh_token&refresh_token=garbage', auth: 'valid', expectError: 'unauthorized_client' },
    { name: 'token: scope with invalid characters', path: '/token', body: 'grant_type=client_credentials&scope=read%00contacts', expectError: /invalid_scope|invalid_request/ },
    { name: 'introspection: missing token', path: '/token/introspection', body: '', expectError: 'invalid_request' },
    { name: 'introspection: garbage credentials', path: '/token/introspection', body: 'token=abc', auth: 'garbage', expectError: /invalid_client|invalid_request/ },
    { name: 'introspection: oversized body', path: '/token/introspection', body: `token=${'a'.repeat(200_000)}`, expectError: 'invalid_request' },
    { name: 'revocation: missing token', path: '/token/revocation', body: '', expectError: 'invalid_request' },
    { name: 'revocation: duplicated token', path: '/token/revocation', body: 'token=a&token=b', expectError: 'invalid_request' },
    { name: 'revocation: JWT access token (cannot be revoked)', path: '/token/revocation', body: 'token=eyJhbGciOiJFUzI1NiJ9.e30.sig', expectError: /unsupported_token_type|invalid_request/ },
    { name: 'PAR: missing parameters', path: '/request', body: 'response_type=code', auth: 'web', expectError: /invalid_request|invalid_redirect_uri/ },
    { name: 'PAR: wrong content type', path: '/request', body: '{}', contentType: 'application/json', auth: 'web', expectError: 'invalid_request' },
    { name: 'PAR: oversized body', path: '/request', body: `response_type=code&state=${'s'.repeat(200_000)}`, auth: 'web', expectError: 'invalid_request' },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const headers: Record<string, string> = { 'content-type': c.contentType ?? form, accept: 'application/json' };
      if (c.auth === undefined || c.auth === 'valid') headers.authorization = basic;
      if (c.auth === 'web') headers.authorization = webBasic;
      if (c.auth === 'garbage') headers.authorization = 'Basic !!!not-base64***';
      const response = await fetch(`${server.issuer}${c.path}`, { method: c.method ?? 'POST', headers, body: c.body });
      expect(response.status, 'status').to.be.within(400, 499);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const body = await response.json() as { error: string; error_description?: string };
      if (typeof c.expectError === 'string') expect(body.error).to.equal(c.expectError);
      else expect(body.error).to.match(c.expectError);
      expect(body.error_description, 'a description').to.be.a('string').and.not.equal('oops! something went wrong');
    });
  }

  it('authorization endpoint: an unknown client gets an error page, not a redirect', async () => {
    const response = await fetch(`${server.issuer}/auth?client_id=nope&response_type=code&redirect_uri=https://evil.example/&scope=read:contacts`, { redirect: 'manual' });
    expect(response.status).to.equal(400);
    expect(response.headers.get('location')).to.equal(null);
    expect(await response.text()).to.include('invalid_client');
  });

  it('authorization endpoint: duplicated parameters are refused on a page (no redirect target is trusted)', async () => {
    const response = await fetch(`${server.issuer}/auth?client_id=a&client_id=b&response_type=code`, { redirect: 'manual' });
    expect(response.status).to.equal(400);
    expect(response.headers.get('location')).to.equal(null);
    const html = await response.text();
    expect(html).to.include('invalid_request').and.include('client_id');
  });

  it('interaction routes: an unknown interaction is a clear page, not a 500', async () => {
    const response = await fetch(`${server.issuer}/interaction/nope`);
    expect(response.status).to.equal(400);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(await response.text()).to.include('expired');
  });

  it('interaction routes: a login post with the wrong content type is refused', async () => {
    const response = await fetch(`${server.issuer}/interaction/nope/login`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{}' });
    expect(response.status).to.be.within(400, 499);
  });

  it('unknown paths answer 404 in JSON', async () => {
    const response = await fetch(`${server.issuer}/nothing-here`, { headers: { accept: 'application/json' } });
    expect(response.status).to.equal(404);
  });
});
