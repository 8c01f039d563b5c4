// Every way a grant dies goes through the store's one revocation path, and a refresh token of a dead
// grant says why it no longer works: reuse, the client's RFC 7009 revocation, the user
// disconnecting the app, a code redeemed twice. Access tokens name their grant.
import { expect } from 'chai';
import { EXPIRY_DESCRIPTIONS, GRANT_REVOCATION_REASONS, type GrantRevocationReason } from '../../config/revocation.ts';
import { storageKey } from '../../server/oidc/storage-key.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { authorize, authorizeAndExchange, client, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('refresh failures name their reason', () => {
  let server: TestServer;
  let app: WebApp;
  let partnerAccount: string;
  const redirectUri = 'http://localhost:8765/callback';
  const scope = 'offline_access read:contacts';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({ name: 'Reasons CRM', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    partnerAccount = created.accountId;
  });
  after(() => server.stop({ removeData: true }));

  async function expectReason(refreshToken: string, reason: GrantRevocationReason) {
    const err = await expectOAuthError(() => refresh(app, refreshToken));
    expect(err.status).to.equal(400);
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.equal(GRANT_REVOCATION_REASONS[reason].description);
  }

  async function grantIdOf(accessToken: string): Promise<string> {
    const claims = await verifyAccessToken(app.as, accessToken);
    expect(claims.grant_id).to.be.a('string');
    return String(claims.grant_id);
  }

  async function auditedOnce(grantId: string, reason: GrantRevocationReason, actor: string) {
    const events = (await server.latchkey.store.listAuditEvents(partnerAccount, 200)).filter((e) => e.targetId === grantId);
    expect(events.map((e) => [e.action, e.reason, e.actor])).to.deep.equal([['grant.revoked', reason, actor]]);
  }

  it('after reuse: every token of the family says the grant was revoked for reuse', async () => {
    const customer = await server.createUser('Reuse Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    const rotated = await refresh(app, tokens.refresh_token!);
    expect(await grantIdOf(rotated.access_token), 'the refreshed token names the same grant').to.equal(grantId);
    // Once the successor is used, the spent token is no retry: presenting it is reuse.
    const successor = await refresh(app, rotated.refresh_token!);
    const replay = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(replay.error_description).to.match(/already used/);
    await expectReason(successor.refresh_token!, 'reused');
    await expectReason(rotated.refresh_token!, 'reused');
    await expectReason(tokens.refresh_token!, 'reused');
    await auditedOnce(grantId, 'reused', 'system');
  });

  it('after the client revokes a refresh token (RFC 7009)', async () => {
    const customer = await server.createUser('Revoking Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    const { client: c, auth } = client(app);
    await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, tokens.refresh_token!, insecure));
    await expectReason(tokens.refresh_token!, 'revoked_by_client');
    await auditedOnce(grantId, 'revoked_by_client', `client:${app.clientId}`);

    // Another client presenting that token learns nothing of why it died.
    const other = await server.createClient({ name: 'Other', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
    const stranger = { ...app, clientId: other.clientId, clientSecret: other.clientSecret };
    const err = await expectOAuthError(() => refresh(stranger, tokens.refresh_token!));
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.not.equal(GRANT_REVOCATION_REASONS.revoked_by_client.description);
  });

  it('after the user disconnects the app in the portal', async () => {
    const customer = await server.createUser('Disconnecting Co');
    const { tokens, browser: consentBrowser } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);

    const portal = new Browser();
    const login = pageOf(await portal.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await portal.submit(Browser.forms(login)[0]!, { email: customer.email, password: customer.password }, 'nowhere:'));
    const apps = pageOf(await portal.navigate(`${server.issuer}/portal/connected-apps`, 'nowhere:'));
    expect(apps.status).to.equal(200);
    expect(apps.html).to.include('Reasons CRM').and.include('read:contacts');
    const revoke = Browser.forms(apps).find((f) => f.action.endsWith(`/portal/connected-apps/${grantId}/revoke`));
    expect(revoke, 'a Revoke button for the grant').to.not.equal(undefined);
    const confirm = pageOf(await portal.navigate(revoke!.action, 'nowhere:'));
    const after = pageOf(await portal.submit(Browser.forms(confirm).find((f) => f.action.endsWith(`/portal/connected-apps/${grantId}/revoke`) && f.fields._csrf)!, {}, 'nowhere:'));
    expect(after.status).to.equal(200);
    expect(after.html).to.not.include(`id="${grantId}"`);

    await expectReason(tokens.refresh_token!, 'revoked_by_user');
    const events = (await server.latchkey.store.listAuditEvents(customer.accountId, 50)).filter((e) => e.targetId === grantId && e.action === 'grant.revoked');
    expect(events.map((e) => e.reason), "in the user's own audit trail too").to.deep.equal(['revoked_by_user']);
    await auditedOnce(grantId, 'revoked_by_user', `user:${customer.userId}`);

    // The consent is gone with the grant: the app must ask again.
    const { url } = await startAuthorization(app, scope, { prompt: 'none' });
    const silent = await consentBrowser.navigate(url.href, redirectUri);
    expect((silent as URL).searchParams.get('error')).to.equal('consent_required');
  });

  it("does not let a user disconnect another user's app", async () => {
    const owner = await server.createUser('Owner Co');
    const { tokens } = await authorizeAndExchange(app, owner, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    const intruder = await server.createUser('Intruder Co');
    const portal = new Browser();
    const login = pageOf(await portal.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await portal.submit(Browser.forms(login)[0]!, { email: intruder.email, password: intruder.password }, 'nowhere:'));
    const apps = pageOf(await portal.navigate(`${server.issuer}/portal/connected-apps`, 'nowhere:'));
    expect(apps.html).to.not.include(grantId);
    // The intruder's own session CSRF token (from the keys page): the form is well made, the grant is not theirs.
    const home = pageOf(await portal.navigate(`${server.issuer}/portal`, 'nowhere:'));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.html)?.[1];
    expect(csrf).to.be.a('string');
    const forged = await portal.request(`${server.issuer}/portal/connected-apps/${grantId}/disconnect`, {
      method: 'POST', body: new URLSearchParams({ _csrf: csrf ?? '' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.status).to.equal(404);
    expect((await refresh(app, tokens.refresh_token!)).refresh_token, 'the owner keeps the app').to.be.a('string');
  });

  it('after an authorization code is redeemed twice', async () => {
    const customer = await server.createUser('Code Replay Co');
    const { callback, state, verifier } = await authorize(app, customer, { scope });
    const { client: c, auth } = client(app);
    const params = oauth.validateAuthResponse(app.as, c, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, c,
      await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure));
    await expectOAuthError(async () => oauth.processAuthorizationCodeResponse(app.as, c,
      await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, redirectUri, verifier, insecure)));
    await expectReason(tokens.refresh_token!, 'code_reused');
  });

  /** Moves a stored record's own expiry (payload.exp) into the past, as if its lifetime had passed. */
  async function expire(model: 'Grant' | 'RefreshToken', id: string) {
    const { oidc } = server.latchkey.store;
    const key = storageKey(model, id);
    const payload = await oidc.find(model, key);
    expect(payload, `${model} stored`).to.not.equal(undefined);
    await oidc.upsert(model, key, { ...payload, exp: Math.floor(Date.now() / 1000) - 1 }, 3600);
  }

  it('after the refresh token expired', async () => {
    const customer = await server.createUser('Late Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    await expire('RefreshToken', tokens.refresh_token!);
    const err = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.equal(EXPIRY_DESCRIPTIONS['refresh token is expired']);
  });

  it('after the grant reached its absolute lifetime, before and after the sweep revoked it', async () => {
    const customer = await server.createUser('Old Grant Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const grantId = await grantIdOf(tokens.access_token);
    await expire('Grant', grantId);
    const before = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(before.error_description).to.equal(GRANT_REVOCATION_REASONS.grant_expired.description);
    await server.latchkey.store.sweepExpired();
    await expectReason(tokens.refresh_token!, 'grant_expired');
    await auditedOnce(grantId, 'grant_expired', 'system');
  });

  it('a client-credentials token names no grant', async () => {
    const service = await server.createClient({ name: 'Service', type: 'service', scopes: 'read:contacts' });
    const tokens = await clientCredentials(app.as, service.clientId, service.clientSecret, 'read:contacts');
    const claims = await verifyAccessToken(app.as, tokens.access_token);
    expect(claims.grant_id).to.equal(undefined);
    expect(claims.account_id).to.equal(service.accountId);
    expect(claims.env).to.equal('test');
  });
});
