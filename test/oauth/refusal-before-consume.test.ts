// A code or refresh request refused for one of its parameters leaves the code or refresh token
// unspent: the corrected request succeeds, instead of being taken for a replay that revokes the grant.
import { expect } from 'chai';
import { authorize, authorizeAndExchange, client, refresh, type WebApp } from '../helpers/flows.ts';
import { discover, expectOAuthError, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('refusals happen before a code or refresh token is spent', () => {
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8765/callback';
  const scope = 'offline_access read:contacts';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({ name: 'Careful App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server.stop({ removeData: true }));

  async function refreshWith(refreshToken: string, extra: Record<string, string>) {
    const { client: c, auth } = client(app);
    const response = await oauth.refreshTokenGrantRequest(app.as, c, auth, refreshToken, { ...insecure, additionalParameters: extra });
    return oauth.processRefreshTokenResponse(app.as, c, response);
  }

  it('an authorization code sent with an unknown resource is still good for the corrected request', async () => {
    const customer = await server.createUser('Code Co');
    const { callback, state, verifier } = await authorize(app, customer, { scope });
    const { client: c, auth } = client(app);
    const params = oauth.validateAuthResponse(app.as, c, callback, state);
    const wrong = await expectOAuthError(async () => oauth.processAuthorizationCodeResponse(app.as, c,
      await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, { ...insecure, additionalParameters: { resource: 'https://elsewhere.example/api' } })));
    expect(wrong.error).to.equal('invalid_target');
    expect(wrong.error_description).to.not.include('elsewhere');
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c,
      await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure));
    expect(tokens.refresh_token).to.be.a('string');
    expect((await refresh(app, tokens.refresh_token!)).access_token, 'the grant is alive').to.be.a('string');
  });

  it('a refresh token sent with an unknown resource, or a scope the client may not hold, is still good', async () => {
    const customer = await server.createUser('Refresh Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const target = await expectOAuthError(() => refreshWith(tokens.refresh_token!, { resource: 'https://elsewhere.example/api' }));
    expect(target.error).to.equal('invalid_target');
    const notAllowed = await expectOAuthError(() => refreshWith(tokens.refresh_token!, { scope: 'read:billing' }));
    expect(notAllowed.error).to.equal('invalid_scope');
    const next = await refresh(app, tokens.refresh_token!);
    expect(next.refresh_token).to.be.a('string');
    expect((await refresh(app, next.refresh_token!)).access_token, 'no replay was detected').to.be.a('string');
  });
});
