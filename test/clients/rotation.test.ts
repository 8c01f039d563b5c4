// Client secret rotation through /v1/clients: with an overlap both secrets work until it ends;
// without one, or as leaked, the old secret is refused on the very next request.
import { expect } from 'chai';
import type { ClientRecord } from '../../adapters/contract.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover, expectOAuthError, type oauth } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('client secret rotation', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let admin: string;
  let accountId: string;

  before(async () => {
    server = await startServer();
    as = await discover(server.issuer);
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    accountId = (await server.createUser('Rotation Co')).accountId;
    admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:clients', 'write:clients', 'read:contacts'], actor: 'cli' })).key;
    recordSecret(admin);
  });
  after(() => server.stop({ removeData: true }));

  async function rotate(clientId: string, body: Record<string, unknown>): Promise<string> {
    const answer = await call(server.issuer, 'POST', `/v1/clients/${clientId}/rotate-secret`, admin, body);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    const secret = String(answer.body.client_secret);
    recordSecret(secret);
    return secret;
  }

  const works = async (clientId: string, secret: string) => {
    const tokens = await clientCredentials(as, clientId, secret, 'read:contacts');
    expect(tokens.access_token).to.be.a('string');
  };
  const refused = async (clientId: string, secret: string) => {
    const error = await expectOAuthError(() => clientCredentials(as, clientId, secret, 'read:contacts'));
    expect(error.error).to.equal('invalid_client');
  };

  /** Moves the end of the client's overlapping secrets into the past, as time passing would. */
  async function endOverlap(clientId: string): Promise<void> {
    const client = (await server.latchkey.store.findClient(clientId))!;
    const past = new Date(Date.now() - 1000);
    const next: ClientRecord = {
      ...client, revision: client.revision + 1,
      secrets: client.secrets.map((s) => (s.expiresAt ? { ...s, expiresAt: past } : s)),
    };
    const event = { id: `evt_test${Date.now()}`, accountId, actor: 'system', action: 'client.updated', targetId: clientId, reason: undefined, at: new Date() };
    expect(await server.latchkey.store.updateClient(next, client.revision, event)).to.equal(true);
  }

  it('with an overlap: old and new both work, then only the new once it ends', async () => {
    const { clientId, clientSecret: old } = await server.createClient({ accountId, name: 'Nightly', type: 'service', scopes: 'read:contacts' });
    await works(clientId, old);
    const fresh = await rotate(clientId, { overlap: '1h' });
    expect(fresh).not.to.equal(old);
    await works(clientId, fresh);
    await works(clientId, old);
    const shown = await call(server.issuer, 'GET', `/v1/clients/${clientId}`, admin);
    const secrets = shown.body.secrets as { status: string; last4: string; expires_at: string | null }[];
    expect(secrets.map((s) => s.status)).to.deep.equal(['active', 'overlapping']);
    expect(secrets[1]!.last4).to.equal(old.slice(-4));
    const end = Date.parse(secrets[1]!.expires_at!);
    expect(end).to.be.within(Date.now() + 3590_000, Date.now() + 3610_000);

    await endOverlap(clientId);
    await refused(clientId, old);
    await works(clientId, fresh);
    const events = await server.latchkey.store.listTargetEvents(accountId, clientId, { limit: 5 });
    const rotated = events.find((e) => e.action === 'client.secret_rotated');
    expect(rotated?.detail).to.deep.equal({ name: 'Nightly', overlap: '1 hour' });
  });

  it('without an overlap: the old secret gets invalid_client on the next request', async () => {
    const { clientId, clientSecret: old } = await server.createClient({ accountId, name: 'Instant', type: 'service', scopes: 'read:contacts' });
    await works(clientId, old); // oidc-provider has now seen (and cached) the client with this secret
    const fresh = await rotate(clientId, { overlap: '0' });
    await refused(clientId, old);
    await works(clientId, fresh);
    const client = await server.latchkey.store.findClient(clientId);
    expect(client?.secrets[1]).to.deep.include({ revokedReason: 'rotated with no overlap' });
  });

  it('as leaked: every older secret dies at once, whatever the overlap, and never comes back', async () => {
    const { clientId, clientSecret: first } = await server.createClient({ accountId, name: 'Leaky', type: 'service', scopes: 'read:contacts' });
    const second = await rotate(clientId, { overlap: '7d' });
    await works(clientId, first);
    const third = await rotate(clientId, { overlap: '7d', leaked: true });
    await refused(clientId, first);
    await refused(clientId, second);
    await works(clientId, third);
    const fourth = await rotate(clientId, { overlap: '1h' });
    await refused(clientId, first);
    await refused(clientId, second);
    await works(clientId, third);
    await works(clientId, fourth);
    const client = (await server.latchkey.store.findClient(clientId))!;
    expect(client.secrets.filter((s) => s.revokedReason === 'reported_leaked')).to.have.length(2);
  });

  it('keeps the newest hash as client_secret and never stores a secret', async () => {
    const { clientId } = await server.createClient({ accountId, name: 'Hashes', type: 'service', scopes: 'read:contacts' });
    const fresh = await rotate(clientId, {});
    const client = (await server.latchkey.store.findClient(clientId))!;
    expect(client.secretHash).to.equal(client.secrets[0]!.hash).and.not.equal(fresh);
    expect(JSON.stringify(client)).not.to.include(fresh);
    // The default overlap is 24 hours.
    expect(client.secrets[1]!.expiresAt!.getTime() - Date.now()).to.be.within(86_390_000, 86_410_000);
  });

  it('without an overlap, every earlier secret stops at once, also one still in an earlier overlap', async () => {
    const { clientId, clientSecret: first } = await server.createClient({ accountId, name: 'Overlapping', type: 'service', scopes: 'read:contacts' });
    const second = await rotate(clientId, { overlap: '1h' });
    const third = await rotate(clientId, { overlap: '1h' });
    await works(clientId, first);
    const fourth = await rotate(clientId, { overlap: '0' });
    await refused(clientId, first);
    await refused(clientId, second);
    await refused(clientId, third);
    await works(clientId, fourth);
  });

  it('holds at most 3 live secrets: a rotation that would keep a fourth is refused, naming the ways out', async () => {
    const { clientId } = await server.createClient({ accountId, name: 'Capped', type: 'service', scopes: 'read:contacts' });
    await rotate(clientId, { overlap: '7d' });
    await rotate(clientId, { overlap: '7d' });
    const fourth = await call(server.issuer, 'POST', `/v1/clients/${clientId}/rotate-secret`, admin, { overlap: '7d' });
    expect(fourth.status, JSON.stringify(fourth.body)).to.equal(409);
    expect(fourth.body.error).to.deep.include({ code: 'limit_reached' });
    const client = (await server.latchkey.store.findClient(clientId))!;
    expect(client.secrets.filter((s) => !s.revokedAt && (!s.expiresAt || s.expiresAt > new Date()))).to.have.length(3);
    // Without an overlap there is always room.
    await rotate(clientId, { overlap: '0' });
  });

  it('lets the owner revoke one live secret, which stops at once', async () => {
    const { clientId, clientSecret: old } = await server.createClient({ accountId, name: 'One off', type: 'service', scopes: 'read:contacts' });
    const fresh = await rotate(clientId, { overlap: '7d' });
    const client = (await server.latchkey.store.findClient(clientId))!;
    const oldId = client.secrets[1]!.id;
    const answer = await call(server.issuer, 'POST', `/v1/clients/${clientId}/secrets/${oldId}/revoke`, admin, {});
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    await refused(clientId, old);
    await works(clientId, fresh);
    expect((await call(server.issuer, 'POST', `/v1/clients/${clientId}/secrets/${oldId}/revoke`, admin, {})).status, 'already dead').to.equal(409);
  });
});
