import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { clientCredentials, discover, expectOAuthError, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('client credentials (partner services)', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let service: { clientId: string; clientSecret: string; accountId: string };

  before(async () => {
    server = await startServer();
    as = await discover(server.issuer);
    service = await server.createClient({ name: 'Reporting', type: 'service', scopes: 'read:contacts read:events', environment: 'live' });
  });
  after(() => server.stop({ removeData: true }));

  it('issues an ES256 JWT access token (RFC 9068) that verifies against the published JWKS', async () => {
    const tokens = await clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts');
    expect(tokens.token_type.toLowerCase()).to.equal('bearer');
    expect(tokens.expires_in).to.equal(LIFETIMES.accessToken);
    expect(tokens.scope).to.equal('read:contacts');
    expect(tokens).not.to.have.property('refresh_token');

    const claims = await verifyAccessToken(as, tokens.access_token);
    expect(claims.iss).to.equal(server.issuer);
    expect(claims.aud).to.equal(`${server.issuer}/api`);
    expect(claims.scope).to.equal('read:contacts');
    expect(claims.client_id).to.equal(service.clientId);
    expect(claims.sub).to.equal(service.clientId);
    expect(claims.account_id).to.equal(service.accountId);
    expect(claims.env).to.equal('live');
    expect(claims.exp! - claims.iat!).to.equal(LIFETIMES.accessToken);
  });

  it('refuses a request without scope, listing what the client may ask for', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.clientId, service.clientSecret));
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include('read:contacts read:events');
  });

  it('names a scope the client may not hold in invalid_scope', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts write:contacts'));
    expect(err.status).to.equal(400);
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include('write:contacts');
    expect(err.response.headers.get('cache-control')).to.equal('no-store');
  });

  it('names an unknown scope in invalid_scope', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts admin:everything'));
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include('admin:everything');
  });

  it('refuses a protocol scope a service client cannot hold', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.clientId, service.clientSecret, 'offline_access'));
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include('offline_access');
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const err = await expectOAuthError(() => clientCredentials(as, service.clientId, `${service.clientSecret}x`, 'read:contacts'));
    expect(err.status).to.equal(401);
    expect(err.error).to.equal('invalid_client');
  });

  it('rejects an unknown resource indicator with invalid_target', async () => {
    const client = { client_id: service.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(service.clientSecret),
      new URLSearchParams({ scope: 'read:contacts', resource: 'https://elsewhere.example/api' }), insecure);
    const err = await expectOAuthError(() => oauth.processClientCredentialsResponse(as, client, response));
    expect(err.error).to.equal('invalid_target');
  });

  it('refuses client_secret_jwt (HS256 over a hashed secret)', async () => {
    const client = { client_id: service.clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretJwt(service.clientSecret),
      new URLSearchParams({ scope: 'read:contacts' }), insecure);
    const err = await expectOAuthError(() => oauth.processClientCredentialsResponse(as, client, response));
    expect(err.error).to.equal('invalid_client');
  });
});
