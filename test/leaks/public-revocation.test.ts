// POST /v1/credentials/revoke over HTTP: each kind of credential we issue dies as reported leaked,
// and the answer is the same bytes whatever was sent.
import { expect } from 'chai';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { LIMITS } from '../../config/limits.ts';
import { rotateClientSecret } from '../../server/clients/secrets.ts';
import { PUBLIC_REVOKE_PATH, RECEIVED_BODY } from '../../server/leaks/public-routes.ts';
import { call } from '../helpers/api.ts';
import { authorizeAndExchange, refresh, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { capturingLogger } from '../helpers/server.ts';
import { post, startLeakServer, type LeakServer } from './server.ts';

const report = (server: LeakServer, credentials: unknown) => post(server.issuer, PUBLIC_REVOKE_PATH, JSON.stringify({ credentials }));

describe('public revocation of leaked credentials', () => {
  let server: LeakServer;
  const log = capturingLogger();
  let accountId: string;

  before(async () => {
    server = await startLeakServer({ log });
    ({ accountId } = await server.createUser());
  });
  after(() => server.stop());

  it('revokes an API key as reported leaked, with an audit event', async () => {
    const { id, key } = await server.createApiKey(accountId);
    const answer = await report(server, [key]);
    expect(answer.status).to.equal(202);
    expect(answer.text).to.equal(RECEIVED_BODY);
    expect(answer.headers.get('cache-control')).to.equal('no-store');
    const stored = await server.latchkey.store.findApiKey(id);
    expect(stored?.revokedReason).to.equal('reported_leaked');
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', key)).status).to.equal(401);
    const events = await server.latchkey.store.listTargetEvents(accountId, id, { limit: 10 });
    const revoked = events.find((e) => e.action === 'api_key.revoked');
    expect(revoked?.reason).to.equal('reported_leaked');
    expect(revoked?.actor).to.equal('report:public');
    expect(log.lines.join('\n')).to.not.include(key);
  });

  it('kills every live secret of a client whose secret is reported; only rotation gives a working one', async () => {
    const as = await discover(server.issuer);
    const { clientId, clientSecret: first } = await server.createClient(accountId);
    const store = server.latchkey.store;
    const second = (await rotateClientSecret(store, server.pepper, (await store.findClient(clientId))!, 3600, 'cli')).clientSecret;
    recordSecret(second);
    expect((await clientCredentials(as, clientId, first, 'read:contacts')).access_token).to.be.a('string');

    expect((await report(server, [first])).text).to.equal(RECEIVED_BODY);
    for (const secret of [first, second]) {
      expect((await expectOAuthError(() => clientCredentials(as, clientId, secret, 'read:contacts'))).error).to.equal('invalid_client');
    }
    const events = await store.listTargetEvents(accountId, clientId, { limit: 10 });
    const revoked = events.find((e) => e.action === 'client.secret_revoked');
    expect(revoked?.reason).to.equal('reported_leaked');
    expect(revoked?.actor).to.equal('report:public');
    expect(revoked?.detail?.secret_id).to.equal((await store.findClient(clientId))!.secrets.at(-1)!.id);

    const fresh = (await rotateClientSecret(store, server.pepper, (await store.findClient(clientId))!, 3600, 'cli')).clientSecret;
    recordSecret(fresh);
    expect((await clientCredentials(as, clientId, fresh, 'read:contacts')).access_token).to.be.a('string');
    for (const secret of [first, second]) {
      expect((await expectOAuthError(() => clientCredentials(as, clientId, secret, 'read:contacts'))).error).to.equal('invalid_client');
    }
    // Reporting an old, dead secret again does not kill the new one.
    await report(server, [second]);
    expect((await clientCredentials(as, clientId, fresh, 'read:contacts')).access_token).to.be.a('string');
  });

  it('revokes a refresh token\'s grant: the next refresh says it was reported leaked', async () => {
    const redirectUri = 'http://localhost:8765/callback';
    const created = await server.createClient(accountId, 'web', [redirectUri]);
    const app: WebApp = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    const customer = await server.createUser();
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
    expect((await report(server, [tokens.refresh_token])).text).to.equal(RECEIVED_BODY);
    const refused = await expectOAuthError(() => refresh(app, tokens.refresh_token!));
    expect(refused.error).to.equal('invalid_grant');
    expect(refused.error_description).to.equal(GRANT_REVOCATION_REASONS.reported_leaked.description);
  });

  it('answers the same status and bytes for a valid key, an invalid string, a revoked key and a mix', async () => {
    const valid = await server.createApiKey(accountId);
    const revoked = await server.createApiKey(accountId);
    await report(server, [revoked.key]);
    const answers = await Promise.all([
      report(server, [valid.key]), report(server, ['not a credential at all']), report(server, [revoked.key]),
      report(server, ['x', revoked.key, 'sk_test_nope']),
    ]);
    for (const answer of answers) {
      expect([answer.status, answer.text, answer.headers.get('cache-control')]).to.deep.equal([202, RECEIVED_BODY, 'no-store']);
    }
  });

  it('refuses bodies of the wrong shape with 400 in our error body, and an oversized body with 413', async () => {
    const bad = ['not json', '{}', '[]', '{"credentials": "sk_test_x"}', '{"credentials": []}', '{"credentials": [1]}',
      JSON.stringify({ credentials: Array(LIMITS.leakReportMaxCredentials + 1).fill('x') }),
      JSON.stringify({ credentials: ['x'.repeat(LIMITS.leakReportMaxCredentialLength + 1)] })];
    for (const body of bad) {
      const answer = await post(server.issuer, PUBLIC_REVOKE_PATH, body);
      expect(answer.status, body.slice(0, 40)).to.equal(400);
      expect((JSON.parse(answer.text) as { error: { code: string } }).error.code).to.equal('invalid_request');
    }
    const huge = await post(server.issuer, PUBLIC_REVOKE_PATH, JSON.stringify({ credentials: ['x'.repeat(LIMITS.leakReportMaxBytes)] }));
    expect(huge.status).to.equal(413);
    expect((JSON.parse(huge.text) as { error: { code: string } }).error.code).to.equal('payload_too_large');
  });

  it('records a leaked rotation with leaked: true in the audit detail', async () => {
    const { clientId } = await server.createClient(accountId);
    const store = server.latchkey.store;
    recordSecret((await rotateClientSecret(store, server.pepper, (await store.findClient(clientId))!, 3600, 'cli', { leaked: true })).clientSecret);
    const rotated = (await store.listTargetEvents(accountId, clientId, { limit: 10 })).find((e) => e.action === 'client.secret_rotated');
    expect(rotated?.detail?.leaked).to.equal('true');
    expect(rotated?.reason).to.equal('reported_leaked');
  });
});

describe('public revocation rate limit', () => {
  let server: LeakServer;
  before(async () => { server = await startLeakServer(); });
  after(() => server.stop());

  it('counts every report from an address and answers 429 with Retry-After past the limit', async () => {
    for (let i = 0; i < LIMITS.leakReportsPerSource; i += 1) expect((await report(server, [`x${i}`])).status).to.equal(202);
    const refused = await report(server, ['one more']);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
    expect((JSON.parse(refused.text) as { error: { code: string } }).error.code).to.equal('rate_limited');
  });
});
