// A leak report of a credential that no longer works revokes nothing (finding M2): a dead key's
// report never reaches the live successor it rolled into, and a refresh token spent rotations ago
// never kills the user's live grant. Inside the retry window a spent refresh token still fetches
// the kept answer, so it counts as live. The owner is told of a dead credential's report.
import { expect } from 'chai';
import { PUBLIC_REVOKE_PATH } from '../../server/leaks/public-routes.ts';
import { call } from '../helpers/api.ts';
import { authorizeAndExchange, refresh, type WebApp } from '../helpers/flows.ts';
import { discover, expectOAuthError } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { post, startLeakServer, type LeakServer } from './server.ts';

const report = (server: LeakServer, credentials: unknown) => post(server.issuer, PUBLIC_REVOKE_PATH, JSON.stringify({ credentials }));

describe('leak reports of dead credentials (M2)', () => {
  let server: LeakServer;
  let accountId: string;
  const redirectUri = 'http://localhost:8765/callback';

  before(async () => {
    server = await startLeakServer();
    ({ accountId } = await server.createUser());
  });
  after(() => server.stop());

  it('a key that rolled itself and is dead: its report leaves the live successor alone and tells the owner', async () => {
    const { createKey } = await import('../../server/api-keys/service.ts');
    const { key: old, record } = await createKey(server.latchkey.store, server.pepper, {
      accountId, environment: 'test', scopes: ['read:api_keys', 'write:api_keys'], actor: 'cli',
    });
    recordSecret(old);
    const rolled = await call(server.issuer, 'POST', `/v1/api-keys/${record.id}/roll`, old, { overlap: 0 });
    expect(rolled.status, JSON.stringify(rolled.body)).to.equal(201);
    const successor = String(rolled.body.key);
    recordSecret(successor);

    expect((await report(server, [old])).status).to.equal(202);
    expect((await server.latchkey.store.findApiKey(String(rolled.body.id)))?.revokedAt, 'the live successor').to.equal(undefined);
    expect((await call(server.issuer, 'GET', '/v1/api-keys', successor)).status).to.equal(200);
    const events = await server.latchkey.store.listTargetEvents(accountId, record.id, { limit: 5 });
    expect(events[0]).to.deep.include({ action: 'api_key.reported_dead' });
    // At most once per credential per day.
    await report(server, [old]);
    const again = await server.latchkey.store.listTargetEvents(accountId, record.id, { limit: 5 });
    expect(again.filter((e) => e.action === 'api_key.reported_dead')).to.have.length(1);
  });

  it('a refresh token two rotations old: its report leaves the live grant alone', async () => {
    const created = await server.createClient(accountId, 'web', [redirectUri]);
    const app: WebApp = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    const customer = await server.createUser();
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
    const first = tokens.refresh_token!;
    const second = (await refresh(app, first)).refresh_token!;
    const third = (await refresh(app, second)).refresh_token!;
    recordSecret(second);
    recordSecret(third);
    // Past the retry window of the first (kept short here by waiting it out would take 30 s; the
    // first was spent two rotations ago, and its successor was used, which also closes its window).
    expect((await report(server, [first])).status).to.equal(202);
    const next = await refresh(app, third);
    expect(next.refresh_token, 'the grant lives').to.be.a('string');
    recordSecret(next.refresh_token);
  });

  it('a refresh token spent inside its retry window counts as live: its report revokes the grant', async () => {
    const created = await server.createClient(accountId, 'web', [redirectUri]);
    const app: WebApp = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    const customer = await server.createUser();
    const { tokens } = await authorizeAndExchange(app, customer, { scope: 'offline_access read:contacts' });
    const spent = tokens.refresh_token!;
    const current = (await refresh(app, spent)).refresh_token!;
    recordSecret(current);
    expect((await report(server, [spent])).status).to.equal(202);
    expect((await expectOAuthError(() => refresh(app, current))).error).to.equal('invalid_grant');
  });
});
