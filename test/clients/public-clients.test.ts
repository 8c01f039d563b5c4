// Public clients (issue 24, item 2): an app on the user's device registers with no secret, signs a
// user in with the authorization code flow and PKCE S256 (its code is worth nothing without the
// verifier), uses a loopback redirect on any port (RFC 8252), rotates refresh tokens with no retry
// window (a spent token presented again is reuse), and the consent page says it runs on the device.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { isPage, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { rotateClientSecret } from '../../server/clients/secrets.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';

describe('public clients', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  async function publicApp(redirectUris: string[]): Promise<{ app: WebApp; clientId: string }> {
    const created = await server.createClient({ name: 'Desktop Agent', type: 'public', scopes: 'offline_access read:contacts', redirectUris });
    expect(created.clientSecret, 'no secret for a public client').to.equal('');
    return { clientId: created.clientId, app: { as: await discover(server.issuer), clientId: created.clientId, clientSecret: '', redirectUri: redirectUris[0]! } };
  }
  const publicClient = (clientId: string) => ({ client: { client_id: clientId, token_endpoint_auth_method: 'none' }, auth: oauth.None() });

  async function codeFor(app: WebApp, redirectUri: string, user: { email: string; password: string }) {
    const { url, verifier, state } = await startAuthorization({ ...app, redirectUri }, 'offline_access read:contacts');
    const browser = new Browser();
    const login = pageOf(await browser.navigate(url.href, redirectUri));
    if (!Browser.forms(login)[0]) throw new Error(`${login.status} ${login.url} ${login.html.slice(0, 1500)}`);
    const consent = await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, redirectUri);
    expect(isPage(consent) && consent.html, 'the consent page says where the app runs').to.include('runs on your device');
    const callback = await browser.submit(Browser.forms(consent as never)[0]!, {}, redirectUri);
    return { callback: callback as URL, verifier, state };
  }

  it('signs a user in with PKCE and no secret, on a loopback redirect with a port it never registered', async () => {
    const { app, clientId } = await publicApp(['http://127.0.0.1/callback']);
    const user = await server.createUser('Device Co');
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const { callback, verifier, state } = await codeFor(app, redirectUri, user);
    const { client, auth } = publicClient(clientId);
    const params = oauth.validateAuthResponse(app.as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(app.as, client, auth, params, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client, response);
    expect(tokens.refresh_token).to.be.a('string');

    // The refresh token rotates; presenting the spent one again at once is reuse (no retry window).
    const refreshed = await oauth.processRefreshTokenResponse(app.as, client, await oauth.refreshTokenGrantRequest(app.as, client, auth, tokens.refresh_token!, insecure));
    const again = await oauth.refreshTokenGrantRequest(app.as, client, auth, tokens.refresh_token!, insecure);
    expect(again.status).to.equal(400);
    expect(((await again.json()) as { error: string }).error).to.equal('invalid_grant');
    const successor = await oauth.refreshTokenGrantRequest(app.as, client, auth, refreshed.refresh_token!, insecure);
    expect(successor.status, 'the reuse revoked the grant').to.equal(400);
  });

  it('cannot redeem its code without the PKCE verifier, nor with another', async () => {
    const { app, clientId } = await publicApp(['http://127.0.0.1/callback']);
    const user = await server.createUser('Stolen Code Co');
    const redirectUri = 'http://127.0.0.1:50000/callback';
    const { callback, state } = await codeFor(app, redirectUri, user);
    const code = callback.searchParams.get('code')!;
    expect(callback.searchParams.get('state')).to.equal(state);
    const token = (extra: Record<string, string>) => fetch(String(app.as.token_endpoint), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, ...extra }).toString(),
    });
    const without = await token({});
    expect(without.status).to.equal(400);
    expect(((await without.json()) as { error: string }).error).to.equal('invalid_grant');
    const wrong = await token({ code_verifier: oauth.generateRandomCodeVerifier() });
    expect(wrong.status).to.equal(400);
  });

  it('refuses a secret-style or a web redirect for a public client, and never rotates a secret it has not got', async () => {
    const owner = await server.createUser('Careful Device Co');
    const attempt = async (redirectUris: string[]) => {
      try {
        await server.createClient({ accountId: owner.accountId, name: 'Bad', type: 'public', scopes: 'read:contacts', redirectUris });
        return 'created';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(await attempt(['http://example.com/callback'])).to.include('must be http on 127.0.0.1');
    expect(await attempt(['myapp:/callback'])).to.include('private-use scheme');
    expect(await attempt(['com.example.desktop:/callback'])).to.equal('created');
    const { clientId } = await publicApp(['http://localhost/cb']);
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const client = (await server.latchkey.store.findClient(clientId))!;
    expect(client.authMethod).to.equal('none');
    const rotate = await rotateClientSecret(server.latchkey.store, pepper, client, 0, 'cli').then(() => 'rotated', (err: Error) => err.message);
    expect(rotate).to.include('no secret to rotate');
  });
});
