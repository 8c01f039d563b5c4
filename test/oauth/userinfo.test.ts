// userinfo and the email scope (issue 26, item 7): a request whose scopes are all OpenID ones gets an
// access token with no audience, which userinfo accepts, and userinfo answers the email; one that
// names an API scope gets the API's JWT as before, and the email arrives in its ID token. The
// catalog file may not take OpenID's scope names.
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { Browser } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { catalogFile } from '../catalog/child.ts';
import { runNode } from '../helpers/processes.ts';
import { tempDataDir } from '../helpers/server.ts';

describe('userinfo and the email scope', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  before(async () => {
    server = await startServer();
    const { accountId } = await server.createUser('Userinfo Co');
    const made = await server.createClient({ accountId, name: 'Sign-in App', type: 'web', scopes: 'openid email read:contacts', redirectUris: ['https://signin.example/cb'] });
    app = { as: await discover(server.issuer), clientId: made.clientId, clientSecret: made.clientSecret, redirectUri: 'https://signin.example/cb' };
  });
  after(() => server?.stop({ removeData: true }));

  it('openid email: a token userinfo accepts, answering the email', async () => {
    expect(app.as.userinfo_endpoint).to.equal(`${server.issuer}/me`);
    expect(app.as.scopes_supported).to.include('email');
    const user = await server.createUser('Reader Co');
    const { tokens } = await authorizeAndExchange(app, user, { scope: 'openid email' });
    expect(tokens.access_token.split('.'), 'opaque: no audience').to.have.length(1);
    const answer = await fetch(app.as.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(answer.status).to.equal(200);
    const claims = await answer.json() as Record<string, unknown>;
    expect(claims).to.include({ email: user.email, email_verified: true });
    const response = await oauth.userInfoRequest(app.as, { client_id: app.clientId }, tokens.access_token, insecure);
    expect((await response.json() as { sub: string }).sub).to.equal(claims.sub);
  });

  it('openid email read:contacts: the API\'s JWT, and the email in the ID token', async () => {
    const user = await server.createUser('Both Co');
    const { tokens } = await authorizeAndExchange(app, user, { scope: 'openid email read:contacts' });
    expect(decodeJwt(tokens.access_token).aud).to.equal(`${server.issuer}/api`);
    expect(decodeJwt(tokens.id_token!)).to.include({ email: user.email });
  });

  it('refuses email to a client that may not hold it', async () => {
    const { accountId } = await server.createUser('No Email Co');
    const made = await server.createClient({ accountId, name: 'No Email', type: 'web', scopes: 'openid read:contacts', redirectUris: ['https://noemail.example/cb'] });
    const refusing: WebApp = { ...app, clientId: made.clientId, clientSecret: made.clientSecret, redirectUri: 'https://noemail.example/cb' };
    const { url } = await startAuthorization(refusing, 'openid email');
    const answer = await new Browser().navigate(url.href, refusing.redirectUri) as URL;
    expect(answer.searchParams.get('error'), answer.href).to.equal('invalid_scope');
    expect(answer.searchParams.get('error_description')).to.include('email');
  });

  it('keeps OpenID\'s scope names out of the catalog file', async () => {
    const result = await runNode('server/main.ts', [], {
      PORT: '0', DATA_DIR: tempDataDir(),
      LATCHKEY_CATALOG_FILE: catalogFile({ resources: [{ resource: 'https://people.example.com', name: 'People', scopes: [{ name: 'profile', description: 'x', use_case: 'y', consent: true }] }] }),
    });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('"profile" is an OpenID Connect scope');
  });
});
