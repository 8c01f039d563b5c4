import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { LIFETIMES } from '../../config/lifetimes.ts';
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

  it('accepts only short-lived assertions meant for us', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...await exportJWK(publicKey), alg: 'ES256', use: 'sig', kid: 'k' };
    const created = await server.createClient({ name: 'Strict Svc', type: 'service', scopes: 'read:billing', jwks: { keys: [jwk] } });
    const as = await discover(server.issuer);
    const now = Math.floor(Date.now() / 1000);
    const assertion = (claims: { aud?: string | string[]; iat?: number; exp: number }) => {
      const jwt = new SignJWT({ jti: crypto.randomUUID(), ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer(created.clientId).setSubject(created.clientId);
      return jwt.sign(privateKey);
    };
    const token = async (clientAssertion: string) => {
      const response = await fetch(as.token_endpoint!, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials', scope: 'read:billing', client_id: created.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion,
        }).toString(),
      });
      return { status: response.status, body: await response.json() as { error?: string } };
    };
    const refused = [
      ['valid for a year', await assertion({ aud: as.token_endpoint!, iat: now, exp: now + 365 * 86400 })],
      [`valid one second too long`, await assertion({ aud: as.issuer, iat: now, exp: now + LIFETIMES.clientAssertion + 1 })],
      ['without iat', await assertion({ aud: as.issuer, exp: now + 60 })],
      ['aud listing another party beside us', await assertion({ aud: [as.issuer, 'https://attacker.example'], iat: now, exp: now + 60 })],
      ['aud of another party', await assertion({ aud: 'https://attacker.example', iat: now, exp: now + 60 })],
      ['dated a year ahead, to be kept for later', await assertion({ aud: as.issuer, iat: now + 365 * 86400, exp: now + 365 * 86400 + 60 })],
    ] as const;
    for (const [label, jwt] of refused) {
      const answer = await token(jwt);
      expect(answer.status, label).to.equal(401);
      expect(answer.body.error, label).to.equal('invalid_client');
    }
    for (const aud of [as.issuer, as.token_endpoint!, [as.issuer, as.token_endpoint!]]) {
      expect((await token(await assertion({ aud, iat: now, exp: now + LIFETIMES.clientAssertion }))).status, JSON.stringify(aud)).to.equal(200);
    }
  });
});
