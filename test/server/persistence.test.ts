// A restart on the same DATA_DIR keeps clients, users, refresh tokens and signing keys; the
// database file never holds a client secret or a password in plaintext.
import { expect } from 'chai';
import { authorizeAndExchange, refresh, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, verifyAccessToken } from '../helpers/oauth.ts';
import { freePort, startServer, storeContents, tempDataDir, type TestServer } from '../helpers/server.ts';

describe('restart and storage at rest (embedded store)', () => {
  const dataDir = tempDataDir();
  let port: number;
  let server: TestServer;

  before(async () => {
    port = await freePort();
    server = await startServer({ dataDir, port, generatedKeys: true });
  });
  after(() => server.stop({ removeData: true }));

  it('keeps clients, users, refresh tokens and signing keys across a restart', async () => {
    const redirectUri = 'http://localhost:8765/callback';
    const web = await server.createClient({ name: 'Restart App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    const service = await server.createClient({ name: 'Restart Svc', type: 'service', scopes: 'read:events' });
    const user = await server.createUser('Restart Co');
    let as = await discover(server.issuer);
    const app: WebApp = { as, clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
    const { tokens } = await authorizeAndExchange(app, user, { scope: 'offline_access read:contacts' });
    const cc = await clientCredentials(as, service.clientId, service.clientSecret, 'read:events');
    const keysBefore = await (await fetch(as.jwks_uri!)).json();

    await server.stop();
    server = await startServer({ dataDir, port, mongodbDatabase: server.mongodbDatabase, generatedKeys: true });
    as = await discover(server.issuer);

    expect(await (await fetch(as.jwks_uri!)).json(), 'same signing keys').to.deep.equal(keysBefore);
    await verifyAccessToken(as, cc.access_token);
    await verifyAccessToken(as, tokens.access_token);
    const next = await refresh({ ...app, as }, tokens.refresh_token!);
    expect((await verifyAccessToken(as, next.access_token)).sub).to.equal(user.userId);
    await clientCredentials(as, service.clientId, service.clientSecret, 'read:events');
    // The user can still sign in: run the flow again in a new browser.
    const again = await authorizeAndExchange({ ...app, as }, user, { scope: 'read:contacts' });
    expect(again.sawConsent, 'consent remembered across the restart').to.equal(undefined);
  });

  it('never writes a refresh token, an authorization code or a session cookie in plaintext', async () => {
    const redirectUri = 'http://localhost:8765/callback';
    const web = await server.createClient({ name: 'Tokens App', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    const user = await server.createUser('Tokens Co');
    const app: WebApp = { as: await discover(server.issuer), clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
    const { tokens, callback, browser } = await authorizeAndExchange(app, user, { scope: 'offline_access read:contacts' });
    const rotated = await refresh(app, tokens.refresh_token!);
    const bytes = await storeContents(server);
    expect(bytes, 'the grant is stored').to.include(user.userId);
    for (const [what, value] of [['refresh token', tokens.refresh_token!], ['rotated refresh token', rotated.refresh_token!],
      ['authorization code', callback.searchParams.get('code')!], ['session cookie', browser.cookie('_session')!]] as const) {
      expect(value, what).to.be.a('string').with.length.greaterThan(20);
      expect(bytes, what).not.to.include(value);
    }
  });

  it('never writes a client secret or a password in plaintext', async () => {
    const service = await server.createClient({ name: 'Secret Svc', type: 'service', scopes: 'read:contacts' });
    const user = await server.createUser('Plaintext Co');
    const as = await discover(server.issuer);
    await clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts');
    const bytes = await storeContents(server);
    expect(bytes, 'the client id is stored').to.include(service.clientId);
    expect(bytes).not.to.include(service.clientSecret);
    expect(bytes).to.include(user.email);
    expect(bytes).not.to.include(user.password);
    expect(bytes).to.match(/\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
