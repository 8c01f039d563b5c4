import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { discover, expectOAuthError, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('private_key_jwt client authentication', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  it('authenticates a service client by a signed assertion, with no shared secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...await exportJWK(publicKey), alg: 'ES256', use: 'sig', kid: 'partner-key-1' };
    const created = await server.createClient({ name: 'Key Svc', type: 'service', scopes: 'read:billing', jwks: { keys: [jwk] } });
    expect(created.clientSecret).to.equal('');
    const as = await discover(server.issuer);
    const client = { client_id: created.clientId };
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'partner-key-1' });
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read:billing' }, insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect((await verifyAccessToken(as, tokens.access_token)).scope).to.equal('read:billing');

    const other = await generateKeyPair('ES256', { extractable: true });
    const forged = await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: other.privateKey, kid: 'partner-key-1' }), { scope: 'read:billing' }, insecure);
    const err = await expectOAuthError(() => oauth.processClientCredentialsResponse(as, client, forged));
    expect(err.error).to.equal('invalid_client');
  });
});
