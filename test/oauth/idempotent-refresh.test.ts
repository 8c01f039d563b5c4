// Idempotent refresh: within the retry window a repeat of one refresh (a lost response retried, or
// parallel duplicates) gets the identical answer, and nothing is minted or revoked; reuse after the
// successor was used, or after the window, still revokes the family.
import { expect } from 'chai';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { authorizeAndExchange, client, refresh, type WebApp } from '../helpers/flows.ts';
import { discover, expectOAuthError, insecure, oauth, verifyAccessToken } from '../helpers/oauth.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';

const redirectUri = 'http://localhost:8765/callback';
const scope = 'offline_access read:contacts read:events';

/** The raw token endpoint answer: status and body text, as the partner's code receives them. */
async function rawRefresh(app: WebApp, refreshToken: string, extra: Record<string, string> = {}, endpoint = app.as.token_endpoint!) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString(),
  });
  return { status: response.status, text: await response.text(), cacheControl: response.headers.get('cache-control') };
}

async function webApp(server: TestServer, name = 'Retrying App'): Promise<WebApp> {
  const created = await server.createClient({ name, type: 'web', scopes: 'offline_access read:contacts read:events', redirectUris: [redirectUri] });
  return { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
}

describe('idempotent refresh', () => {
  let server: TestServer;
  let app: WebApp;
  before(async () => {
    server = await startServer();
    app = await webApp(server);
  });
  after(() => server.stop({ removeData: true }));

  it('answers a retry inside the window with the identical body, minting nothing', async () => {
    const customer = await server.createUser('Retry Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const served = server.latchkey.refreshStats.retriesServed;
    const first = await rawRefresh(app, tokens.refresh_token!);
    expect(first.status).to.equal(200);
    const retry = await rawRefresh(app, tokens.refresh_token!);
    expect(retry.status).to.equal(200);
    expect(retry.text, 'the identical body').to.equal(first.text);
    expect(retry.cacheControl).to.equal('no-store');
    expect(server.latchkey.refreshStats.retriesServed).to.equal(served + 1);
    const next = JSON.parse(first.text) as { refresh_token: string };
    expect((await refresh(app, next.refresh_token)).refresh_token, 'the new token works').to.be.a('string');
  });

  it('answers a retry sent to the token endpoint with a trailing slash (oidc-provider serves it there too) the same way', async () => {
    const customer = await server.createUser('Slash Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = await rawRefresh(app, tokens.refresh_token!, {}, `${app.as.token_endpoint!}/`);
    expect(first.status, first.text).to.equal(200);
    const retry = await rawRefresh(app, tokens.refresh_token!, {}, `${app.as.token_endpoint!}/`);
    expect(retry.status, retry.text).to.equal(200);
    expect(retry.text, 'the identical body').to.equal(first.text);
  });

  it('gives 4 parallel refreshes of one token the identical body, and the new token works', async () => {
    const customer = await server.createUser('Parallel Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const answers = await Promise.all([1, 2, 3, 4].map(() => rawRefresh(app, tokens.refresh_token!)));
    for (const answer of answers) {
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.text).to.equal(answers[0]!.text);
    }
    const next = JSON.parse(answers[0]!.text) as { refresh_token: string };
    expect((await refresh(app, next.refresh_token)).refresh_token).to.be.a('string');
  });

  it('takes the old token for theft once its successor has been used, and revokes the family', async () => {
    const customer = await server.createUser('Successor Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const next = await refresh(app, tokens.refresh_token!);
    const after = await refresh(app, next.refresh_token!);
    const reused = server.latchkey.refreshStats.reuseDetected;
    const err = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(err.error).to.equal('invalid_grant');
    expect(err.error_description).to.match(/already used/).and.match(/grant has been revoked/);
    expect(server.latchkey.refreshStats.reuseDetected).to.equal(reused + 1);
    const newest = await expectOAuthError(() => refresh(app, after.refresh_token!));
    expect(newest.error_description).to.equal(GRANT_REVOCATION_REASONS.reused.description);
  });

  it('refuses a retry with other parameters without revoking anything', async () => {
    const customer = await server.createUser('Params Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = await rawRefresh(app, tokens.refresh_token!, { scope: 'read:contacts' });
    expect(first.status).to.equal(200);
    const other = await rawRefresh(app, tokens.refresh_token!, { scope: 'read:events' });
    expect(other.status).to.equal(400);
    const body = JSON.parse(other.text) as { error: string; error_description: string };
    expect(body.error).to.equal('invalid_grant');
    expect(body.error_description).to.include('other parameters').and.include('nothing was revoked');
    expect((await rawRefresh(app, tokens.refresh_token!, { scope: 'read:contacts' })).text, 'the same request still is').to.equal(first.text);
    const next = JSON.parse(first.text) as { refresh_token: string };
    expect((await refresh(app, next.refresh_token)).refresh_token, 'the family lives').to.be.a('string');
  });

  it('is no retry for another client: nothing is served and nothing revoked', async () => {
    const customer = await server.createUser('Stranger Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = await rawRefresh(app, tokens.refresh_token!);
    const stranger = await webApp(server, 'Stranger');
    const answer = await rawRefresh(stranger, tokens.refresh_token!);
    expect(answer.status).to.equal(400);
    expect(answer.text).to.not.include('access_token');
    const next = JSON.parse(first.text) as { refresh_token: string };
    expect((await refresh(app, next.refresh_token)).refresh_token).to.be.a('string');
  });

  it('keeps no refresh or access token usable at rest, retry answers included', async () => {
    const customer = await server.createUser('At Rest Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = JSON.parse((await rawRefresh(app, tokens.refresh_token!)).text) as { refresh_token: string; access_token: string };
    await rawRefresh(app, tokens.refresh_token!);
    const contents = await storeContents(server);
    for (const secret of [tokens.refresh_token!, first.refresh_token, first.access_token]) {
      expect(contents.includes(secret)).to.equal(false);
      expect(contents.includes(secret.slice(0, 24)), 'not even a part').to.equal(false);
    }
    expect(contents, 'the retry answer is kept, sealed').to.include('RefreshRetry');
  });

  it('seals every kept answer under its own IV', async () => {
    const customer = await server.createUser('Many Rotations Co');
    let { refresh_token: current } = (await authorizeAndExchange(app, customer, { scope })).tokens;
    for (let i = 0; i < 5; i += 1) current = (JSON.parse((await rawRefresh(app, current!)).text) as { refresh_token: string }).refresh_token;
    // A record may sit in more than one place of the store's files (its log and its table): the
    // same IV with the same ciphertext is one record; the same IV with another would be a repeat.
    const sealedUnder = new Map<string, Set<string>>();
    for (const [, iv, sealed] of (await storeContents(server)).matchAll(/"iv":"([\w-]{16})","sealed":"([\w-]+)"/g)) {
      sealedUnder.set(iv!, (sealedUnder.get(iv!) ?? new Set()).add(sealed!));
    }
    expect(sealedUnder.size, 'one IV per kept answer').to.be.at.least(5);
    for (const [iv, answers] of sealedUnder) expect(answers.size, `IV ${iv}`).to.equal(1);
  });

  describe('after the window (LATCHKEY_REFRESH_RETRY_WINDOW=1s)', () => {
    let short: TestServer;
    let shortApp: WebApp;
    before(async () => {
      short = await startServer({ env: { LATCHKEY_REFRESH_RETRY_WINDOW: '1s' } });
      shortApp = await webApp(short);
    });
    after(() => short.stop({ removeData: true }));

    it('takes a repeat for reuse and revokes the family', async () => {
      const customer = await short.createUser('Late Co');
      const { tokens } = await authorizeAndExchange(shortApp, customer, { scope });
      const next = await refresh(shortApp, tokens.refresh_token!);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const err = await expectOAuthError(() => refresh(shortApp, tokens.refresh_token!));
      expect(err.error_description).to.match(/already used/);
      const dead = await expectOAuthError(() => refresh(shortApp, next.refresh_token!));
      expect(dead.error_description).to.equal(GRANT_REVOCATION_REASONS.reused.description);
    });
  });

  it('still revokes the grant when the client revokes the token inside the window (RFC 7009)', async () => {
    const customer = await server.createUser('Revoke In Window Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = JSON.parse((await rawRefresh(app, tokens.refresh_token!)).text) as { refresh_token: string };
    const { client: c, auth } = client(app);
    await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, first.refresh_token, insecure));
    const retry = await rawRefresh(app, tokens.refresh_token!);
    expect(retry.status, 'the retry answer died with the grant').to.equal(400);
    expect((JSON.parse(retry.text) as { error_description: string }).error_description).to.equal(GRANT_REVOCATION_REASONS.revoked_by_client.description);
  });

  it('serves no retry once the grant has expired', async () => {
    const customer = await server.createUser('Expired In Window Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const first = JSON.parse((await rawRefresh(app, tokens.refresh_token!)).text) as { access_token: string };
    const grantId = String((await verifyAccessToken(app.as, first.access_token)).grant_id);
    const { oidc } = server.latchkey.store;
    const grant = (await oidc.find('Grant', grantId))!;
    await oidc.upsert('Grant', grantId, { ...grant, exp: Math.floor(Date.now() / 1000) - 1 }, 3600);
    const retry = await rawRefresh(app, tokens.refresh_token!);
    expect(retry.status).to.equal(400);
    expect(retry.text).to.not.include('access_token');
    expect((JSON.parse(retry.text) as { error_description: string }).error_description).to.equal(GRANT_REVOCATION_REASONS.grant_expired.description);
  });

  it('still answers 200 when keeping the answer for retries fails; a retry is then refused, nothing revoked', async () => {
    const customer = await server.createUser('Store Hiccup Co');
    const { tokens } = await authorizeAndExchange(app, customer, { scope });
    const { oidc } = server.latchkey.store;
    const upsert = oidc.upsert.bind(oidc);
    oidc.upsert = async (model, id, payload, expiresIn) => {
      if (model === 'RefreshRetry') throw new Error('injected: the store is unavailable');
      return upsert(model, id, payload, expiresIn);
    };
    let first;
    try {
      first = await rawRefresh(app, tokens.refresh_token!);
    } finally {
      oidc.upsert = upsert;
    }
    expect(first.status, first.text).to.equal(200);
    const retry = await rawRefresh(app, tokens.refresh_token!);
    expect(retry.status).to.equal(400);
    expect(retry.text).to.include('nothing was revoked');
    const next = JSON.parse(first.text) as { refresh_token: string };
    expect((await refresh(app, next.refresh_token)).refresh_token, 'the family lives').to.be.a('string');
  });
});
