// Error codes and answers as RFC 6749, RFC 7662 and RFC 9126 define them, where oidc-provider's own
// differ (server/oidc/rfc-errors.ts, server/oidc/introspection.ts).
import { expect } from 'chai';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { authorize, authorizeAndExchange, client, introspect, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** RFC 6749 5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const DESCRIPTION_CHARSET = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const form = 'application/x-www-form-urlencoded';

interface ErrorAnswer {
  status: number;
  headers: Headers;
  body: { error: string; error_description?: string; [key: string]: unknown };
}

describe('RFC conformance of OAuth answers', () => {
  let server: TestServer;
  let app: WebApp;
  let service: { clientId: string; clientSecret: string };
  let serviceBasic: string;
  let webBasic: string;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  const redirectUri = 'http://localhost:8765/callback';

  const post = async (path: string, body: string, authorization?: string): Promise<ErrorAnswer> => {
    const headers: Record<string, string> = { 'content-type': form, accept: 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const response = await fetch(`${server.issuer}${path}`, { method: 'POST', headers, body });
    return { status: response.status, headers: response.headers, body: await response.json() as ErrorAnswer['body'] };
  };
  const basicOf = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  before(async () => {
    server = await startServer();
    const as = await discover(server.issuer);
    service = await server.createClient({ name: 'Svc', type: 'service', scopes: 'read:contacts' });
    serviceBasic = basicOf(service.clientId, service.clientSecret);
    const web = await server.createClient({
      name: 'Web', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri],
    });
    webBasic = basicOf(web.clientId, web.clientSecret);
    app = { as, clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
    user = await server.createUser('Customer Ltd');
  });
  after(() => server.stop({ removeData: true }));

  describe('a grant type the client is not registered for is unauthorized_client (RFC 6749 5.2)', () => {
    const cases = [
      { name: 'service client, refresh_token', body: 'grant_type=refresh_token&refresh_token=abc', auth: () => serviceBasic },
      { name: 'service client, authorization_code', body: `grant_type=authorization_code&code=abc&redirect_uri=${redirectUri}`, auth: () => serviceBasic },
      { name: 'web client, client_credentials', body: 'grant_type=client_credentials&scope=read:contacts', auth: () => webBasic },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const answer = await post('/token', c.body, c.auth());
        expect(answer.status).to.equal(400);
        expect(answer.body.error).to.equal('unauthorized_client');
      });
    }
  });

  describe('no or malformed client authentication is 401 invalid_client (RFC 6749 5.2)', () => {
    const endpoints = [
      { path: '/token', body: 'grant_type=client_credentials&scope=read:contacts' },
      { path: '/token/introspection', body: 'token=abc' },
      { path: '/token/revocation', body: 'token=abc' },
      { path: '/request', body: `response_type=code&scope=read:contacts&redirect_uri=${redirectUri}` },
    ];
    for (const { path, body } of endpoints) {
      it(`${path}: no client authentication at all`, async () => {
        const answer = await post(path, body);
        expect(answer.status).to.equal(401);
        expect(answer.body.error).to.equal('invalid_client');
        expect(answer.headers.get('www-authenticate'), 'every 401 carries a challenge (RFC 7235)').to.equal(`Basic realm="${server.issuer}"`);
      });

      for (const header of ['Basic !!!not-base64***', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc']) {
        it(`${path}: a malformed Authorization header (${header.slice(0, 12)}...) gets a Basic challenge`, async () => {
          const answer = await post(path, body, header);
          expect(answer.status).to.equal(401);
          expect(answer.body.error).to.equal('invalid_client');
          expect(answer.headers.get('www-authenticate')).to.match(new RegExp(`^Basic realm="${server.issuer}", error="invalid_client"`));
        });
      }
    }
  });

  describe('redirect_uri is required even for a client with one registered', () => {
    it('refuses /token without redirect_uri after an authorization request that carried it', async () => {
      const { callback, verifier } = await authorize(app, user, { scope: 'read:contacts' });
      const code = callback.searchParams.get('code')!;
      const answer = await post('/token', `grant_type=authorization_code&code=${code}&code_verifier=${verifier}`, webBasic);
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.equal('invalid_request');
      expect(answer.body.error_description).to.include('redirect_uri');
    });

    it('refuses /auth without redirect_uri (an error page: there is nowhere to redirect)', async () => {
      const url = `${server.issuer}/auth?client_id=${app.clientId}&response_type=code&scope=read:contacts`
        + '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256';
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).to.equal(400);
      expect(response.headers.get('location')).to.equal(null);
      expect(await response.text()).to.include('redirect_uri');
    });
  });

  describe('introspection of our JWT access tokens (RFC 7662)', () => {
    it('answers active with the claims for a client credentials token', async () => {
      const tokens = await clientCredentials(app.as, service.clientId, service.clientSecret, 'read:contacts');
      const answer = await post('/token/introspection', `token=${tokens.access_token}`, serviceBasic);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      expect(answer.body).to.include({ active: true, client_id: service.clientId, scope: 'read:contacts', iss: server.issuer, aud: `${server.issuer}/api` });
      expect(answer.body.exp).to.be.a('number');
    });

    it('answers active: false to another client, and for a token that does not verify', async () => {
      const tokens = await clientCredentials(app.as, service.clientId, service.clientSecret, 'read:contacts');
      expect((await post('/token/introspection', `token=${tokens.access_token}`, webBasic)).body).to.deep.equal({ active: false });
      const [header, payload] = tokens.access_token.split('.');
      const forged = `${header}.${payload}.${'A'.repeat(86)}`;
      expect((await post('/token/introspection', `token=${forged}`, serviceBasic)).body).to.deep.equal({ active: false });
    });

    it('answers active until the grant is revoked, then active: false at once', async () => {
      const customer = await server.createUser('Revoke Co');
      const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
      const before = await introspect(app, tokens.access_token);
      expect(before.active).to.equal(true);
      expect(before.client_id).to.equal(app.clientId);
      expect(before.grant_id).to.be.a('string');
      const { client: c, auth } = client(app);
      await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, tokens.refresh_token!, insecure));
      expect((await introspect(app, tokens.access_token)).active).to.equal(false);
    });

    it('still refuses to revoke a JWT access token (RFC 7009 unsupported_token_type)', async () => {
      const tokens = await clientCredentials(app.as, service.clientId, service.clientSecret, 'read:contacts');
      const answer = await post('/token/revocation', `token=${tokens.access_token}`, serviceBasic);
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.equal('unsupported_token_type');
    });
  });

  describe('error_description uses only the characters RFC 6749 allows', () => {
    it('names an unknown scope without double quotes', async () => {
      const answer = await post('/token', 'grant_type=client_credentials&scope=read:contacts admin:everything', serviceBasic);
      expect(answer.body.error).to.equal('invalid_scope');
      expect(answer.body.error_description).to.include('\'admin:everything\'').and.match(DESCRIPTION_CHARSET);
    });

    it('does not copy a scope with forbidden characters into the description', async () => {
      const scope = encodeURIComponent('read:contacts x"y\\z\u00e9');
      const answer = await post('/token', `grant_type=client_credentials&scope=${scope}`, serviceBasic);
      expect(answer.body.error).to.be.oneOf(['invalid_scope', 'invalid_request']);
      expect(answer.body.error_description).to.match(DESCRIPTION_CHARSET).and.not.match(/x.?y/);
    });

    it('does not repeat an overlong scope in the description', async () => {
      const long = `read:${'x'.repeat(100)}`;
      const answer = await post('/token', `grant_type=client_credentials&scope=read:contacts ${long}`, serviceBasic);
      expect(answer.body.error).to.equal('invalid_scope');
      expect(answer.body.error_description).to.include('not repeated').and.not.include(long);
    });

    it('strips forbidden characters from any description the server emits', async () => {
      const planted = (ctx: KoaContextWithOIDC) => {
        (ctx.body as { error_description?: string }).error_description = 'a "quoted" back\\slash, caf\u00e9\n';
      };
      server.latchkey.provider.on('grant.error', planted);
      try {
        const answer = await post('/token', 'grant_type=client_credentials&scope=nope', serviceBasic);
        expect(answer.body.error_description).to.equal('a \'quoted\' backslash, caf');
      } finally {
        server.latchkey.provider.off('grant.error', planted);
      }
    });
  });

  it('answers invalid_request (not request_uri_not_supported) to a pushed request carrying request_uri (RFC 9126)', async () => {
    const answer = await post('/request', `response_type=code&scope=read:contacts&redirect_uri=${redirectUri}`
      + '&request_uri=urn:ietf:params:oauth:request_uri:abc', webBasic);
    expect(answer.status).to.equal(400);
    expect(answer.body.error).to.equal('invalid_request');
    expect(answer.body.error_description).to.include('request_uri');
  });
});
