// Editing and deleting a client as seen by its tokens: narrowed scopes apply to the next token (a
// refresh asking for a removed scope is refused without spending the token); deletion ends its
// grants at once. Non-consentable scopes never reach a web app.
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { Browser } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, client, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError, insecure, oauth } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { storageKey } from '../../server/oidc/storage-key.ts';

describe('client edits and deletion take effect on the next token', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let admin: string;
  let accountId: string;
  const redirectUri = 'http://localhost:8766/callback';

  before(async () => {
    server = await startServer();
    as = await discover(server.issuer);
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    accountId = (await server.createUser('Lifecycle Co')).accountId;
    admin = (await createKey(server.latchkey.store, pepper, {
      accountId, environment: 'test', scopes: ['read:clients', 'write:clients', 'read:contacts', 'read:events'], actor: 'cli',
    })).key;
    recordSecret(admin);
  });
  after(() => server.stop({ removeData: true }));

  const patch = async (id: string, body: Record<string, unknown>) => {
    const answer = await call(server.issuer, 'PATCH', `/v1/clients/${id}`, admin, body);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
  };

  async function webApp(name: string): Promise<WebApp> {
    const created = await server.createClient({ accountId, name, type: 'web', scopes: 'offline_access read:contacts read:events', redirectUris: [redirectUri] });
    return { as, clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  }

  async function refreshWith(app: WebApp, refreshToken: string, extra: Record<string, string>) {
    const { client: c, auth } = client(app);
    const response = await oauth.refreshTokenGrantRequest(app.as, c, auth, refreshToken, { ...insecure, additionalParameters: extra });
    return oauth.processRefreshTokenResponse(app.as, c, response);
  }

  it('a service client can no longer get a removed scope', async () => {
    const { clientId, clientSecret } = await server.createClient({ accountId, name: 'Narrowed', type: 'service', scopes: 'read:contacts read:events' });
    expect((await clientCredentials(as, clientId, clientSecret, 'read:events')).access_token).to.be.a('string');
    await patch(clientId, { scopes: ['read:contacts'] });
    const refused = await expectOAuthError(() => clientCredentials(as, clientId, clientSecret, 'read:events'));
    expect(refused.error).to.equal('invalid_scope');
    expect(refused.error_description).to.include('read:events');
    expect((await clientCredentials(as, clientId, clientSecret, 'read:contacts')).access_token).to.be.a('string');
  });

  it('a refresh asking for a removed scope is refused without spending the token; without scope it gets what is left', async () => {
    const app = await webApp('Narrowed web');
    const customer = await server.createUser('Customer Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts read:events' });
    await patch(app.clientId, { scopes: ['offline_access', 'read:contacts'] });
    const refused = await expectOAuthError(() => refreshWith(app, tokens.refresh_token!, { scope: 'read:contacts read:events' }));
    expect(refused.error).to.equal('invalid_scope');
    expect(refused.error_description).to.include('read:events');
    const next = await refresh(app, tokens.refresh_token!);
    expect(String(decodeJwt(next.access_token).scope).split(' ')).to.include('read:contacts').and.not.include('read:events');
    expect((await refresh(app, next.refresh_token!)).access_token, 'no replay was detected').to.be.a('string');
  });

  it('deleting a web app revokes its grants at once (reason client_deleted); access tokens live until exp', async () => {
    const app = await webApp('Doomed web');
    const customer = await server.createUser('Deleted App Customer');
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
    expect((await call(server.issuer, 'DELETE', `/v1/clients/${app.clientId}`, admin)).status).to.equal(204);
    // The client no longer authenticates, so a refresh is refused before its token is read.
    const refused = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(refused.error).to.equal('invalid_client');
    const tombstone = await server.latchkey.store.oidc.findTombstone(storageKey('RefreshToken', tokens.refresh_token!));
    expect(tombstone?.reason).to.equal('client_deleted');
    // A JWT cannot be recalled: it works at the Partner API until its exp (docs/tokens.md).
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', tokens.access_token)).status).to.equal(200);
  });

  it('deleting a service client refuses client credentials at once', async () => {
    const { clientId, clientSecret } = await server.createClient({ accountId, name: 'Doomed svc', type: 'service', scopes: 'read:contacts' });
    expect((await clientCredentials(as, clientId, clientSecret, 'read:contacts')).access_token).to.be.a('string');
    expect((await call(server.issuer, 'DELETE', `/v1/clients/${clientId}`, admin)).status).to.equal(204);
    expect((await expectOAuthError(() => clientCredentials(as, clientId, clientSecret, 'read:contacts'))).error).to.equal('invalid_client');
  });

  it('refuses a non-consentable scope to a web app at /authorize, naming it', async () => {
    const app = await webApp('Greedy web');
    const { url } = await startAuthorization(app, 'read:contacts write:clients');
    const step = await new Browser().navigate(url.href, redirectUri);
    expect(step).to.be.instanceOf(URL);
    const callback = step as URL;
    expect(callback.searchParams.get('error')).to.equal('invalid_scope');
    expect(callback.searchParams.get('error_description')).to.include('write:clients').and.include('consent');
  });

  it('refuses a non-consentable scope to a web app at /token, naming it, and leaves the refresh token unspent', async () => {
    const app = await webApp('Greedy refresh');
    const customer = await server.createUser('Greedy Customer');
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
    const refused = await expectOAuthError(() => refreshWith(app, tokens.refresh_token!, { scope: 'read:clients' }));
    expect(refused.error).to.equal('invalid_scope');
    expect(refused.error_description).to.include('read:clients');
    expect((await refresh(app, tokens.refresh_token!)).access_token).to.be.a('string');
  });
});
