// The storage contract suite: written once, run against every store (see contract.test.ts).
import { expect } from 'chai';
import {
  DuplicateError, type ApiKeyRecord, type AuditEvent, type ClientRecord, type PartitionKey, type Store,
} from '../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../server/secrets.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function storeContract(open: () => Promise<Store>, close: (store: Store) => Promise<void>): void {
  let store: Store;
  before(async () => { store = await open(); });
  after(() => close(store));

  describe('oidc-provider models', () => {
    it('stores and finds a payload by model and id', async () => {
      const jti = id('at');
      const payload = { jti, kind: 'AccessToken', grantId: id('grant'), scope: 'read:contacts', nested: { a: [1, 2] } };
      await store.oidc.upsert('AccessToken', jti, payload, 60);
      expect(await store.oidc.find('AccessToken', jti)).to.deep.equal(payload);
      expect(await store.oidc.find('RefreshToken', jti), 'models are separate').to.equal(undefined);
      expect(await store.oidc.find('AccessToken', id('nope'))).to.equal(undefined);
    });

    it('replaces a payload on upsert', async () => {
      const uid = id('sess');
      await store.oidc.upsert('Session', uid, { uid, accountId: 'a' }, 60);
      await store.oidc.upsert('Session', uid, { uid, accountId: 'b' }, 60);
      expect(await store.oidc.find('Session', uid)).to.deep.equal({ uid, accountId: 'b' });
    });

    it('finds by uid and by user code', async () => {
      const sessionId = id('s');
      const uid = id('uid');
      await store.oidc.upsert('Session', sessionId, { uid, accountId: 'x' }, 60);
      expect(await store.oidc.findByUid('Session', uid)).to.deep.equal({ uid, accountId: 'x' });
      expect(await store.oidc.findByUid('Session', id('uid'))).to.equal(undefined);
      const deviceId = id('dc');
      const userCode = randomBase62(8);
      await store.oidc.upsert('DeviceCode', deviceId, { userCode }, 60);
      expect(await store.oidc.findByUserCode('DeviceCode', userCode)).to.deep.equal({ userCode });
      expect(await store.oidc.findByUserCode('DeviceCode', 'nope')).to.equal(undefined);
    });

    it('never returns an expired record, and sweeps it', async () => {
      const jti = id('short');
      const uid = id('uid');
      await store.oidc.upsert('Interaction', jti, { uid, userCode: uid }, 1);
      expect(await store.oidc.find('Interaction', jti)).to.not.equal(undefined);
      await sleep(1100);
      expect(await store.oidc.find('Interaction', jti)).to.equal(undefined);
      expect(await store.oidc.findByUid('Interaction', uid)).to.equal(undefined);
      expect(await store.oidc.findByUserCode('Interaction', uid)).to.equal(undefined);
      expect(await store.oidc.consume('Interaction', jti), 'an expired record cannot be consumed').to.equal(false);
      expect(await store.sweepExpired()).to.be.greaterThanOrEqual(1);
    });

    it('keeps a record without expiry', async () => {
      const jti = id('forever');
      await store.oidc.upsert('Client', jti, { a: 1 }, undefined);
      expect(await store.oidc.find('Client', jti)).to.deep.equal({ a: 1 });
    });

    it('consumes once: true, then false, and marks the payload consumed', async () => {
      const jti = id('rt');
      await store.oidc.upsert('RefreshToken', jti, { jti, grantId: 'g' }, 60);
      expect(await store.oidc.consume('RefreshToken', jti)).to.equal(true);
      expect(await store.oidc.consume('RefreshToken', jti)).to.equal(false);
      const found = await store.oidc.find('RefreshToken', jti);
      expect(found?.consumed).to.be.a('number');
      expect(await store.oidc.consume('RefreshToken', id('missing'))).to.equal(false);
    });

    it('lets exactly one of 25 parallel consumes win', async () => {
      for (let round = 0; round < 5; round += 1) {
        const jti = id('race');
        await store.oidc.upsert('RefreshToken', jti, { jti }, 60);
        const results = await Promise.all(Array.from({ length: 25 }, () => store.oidc.consume('RefreshToken', jti)));
        expect(results.filter(Boolean), `round ${round}`).to.have.length(1);
      }
    });

    it('destroys a record', async () => {
      const jti = id('gone');
      await store.oidc.upsert('AuthorizationCode', jti, { jti }, 60);
      await store.oidc.destroy('AuthorizationCode', jti);
      expect(await store.oidc.find('AuthorizationCode', jti)).to.equal(undefined);
    });

    it('revokes every record of a grant, the grant itself, and nothing else', async () => {
      const grantId = id('grant');
      const other = id('grant');
      await store.oidc.upsert('Grant', grantId, { accountId: 'u', clientId: 'c' }, 60);
      await store.oidc.upsert('RefreshToken', `${grantId}-rt`, { grantId }, 60);
      await store.oidc.upsert('AuthorizationCode', `${grantId}-code`, { grantId }, 60);
      await store.oidc.upsert('RefreshToken', `${other}-rt`, { grantId: other }, 60);
      await store.oidc.revokeByGrantId(grantId);
      expect(await store.oidc.find('Grant', grantId)).to.equal(undefined);
      expect(await store.oidc.find('RefreshToken', `${grantId}-rt`)).to.equal(undefined);
      expect(await store.oidc.find('AuthorizationCode', `${grantId}-code`)).to.equal(undefined);
      expect(await store.oidc.find('RefreshToken', `${other}-rt`)).to.deep.equal({ grantId: other });
    });

    it('finds the newest grant a user gave a client', async () => {
      const accountId = id('user');
      const clientId = id('client');
      await store.oidc.upsert('Grant', id('g-old'), { accountId, clientId, tag: 'old' }, 60);
      const newest = id('g-new');
      await store.oidc.upsert('Grant', newest, { accountId, clientId, tag: 'new' }, 120);
      await store.oidc.upsert('Grant', id('g-other'), { accountId, clientId: id('client'), tag: 'other' }, 300);
      expect(await store.oidc.findGrantId(accountId, clientId)).to.equal(newest);
      expect(await store.oidc.findGrantId(accountId, id('client'))).to.equal(undefined);
    });
  });

  describe('accounts and users', () => {
    it('creates an account with its owner; emails are unique regardless of case', async () => {
      const accountId = id('acct');
      const email = `${randomBase62(8)}@example.com`.toLowerCase();
      const owner = { id: id('user'), accountId, email, passwordHash: '$argon2id$x', createdAt: new Date() };
      await store.createAccount({ id: accountId, name: 'Acme', createdAt: new Date() }, owner);
      expect((await store.findAccount(accountId))?.name).to.equal('Acme');
      expect(await store.findAccount(id('acct'))).to.equal(undefined);
      expect(await store.findUser(owner.id)).to.deep.include({ id: owner.id, accountId, email });
      expect((await store.findUserByEmail(email.toUpperCase()))?.id).to.equal(owner.id);
      const second = { ...owner, id: id('user'), email: `${randomBase62(8)}@example.com`.toLowerCase() };
      await store.createUser(second);
      expect((await store.findUserByEmail(second.email))?.accountId).to.equal(accountId);
      try {
        await store.createUser({ ...owner, id: id('user'), email: email.toUpperCase() });
        expect.fail('a second user with the same email must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
    });

    it('creates nothing when the owner\'s email is taken (all or nothing)', async () => {
      const email = `${randomBase62(8)}@example.com`.toLowerCase();
      const first = id('acct');
      await store.createAccount({ id: first, name: 'First', createdAt: new Date() },
        { id: id('user'), accountId: first, email, passwordHash: 'h', createdAt: new Date() });
      const second = id('acct');
      try {
        await store.createAccount({ id: second, name: 'Second', createdAt: new Date() },
          { id: id('user'), accountId: second, email, passwordHash: 'h', createdAt: new Date() });
        expect.fail('must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
      expect(await store.findAccount(second), 'no orphan account').to.equal(undefined);
    });
  });

  describe('clients', () => {
    it('creates, finds and lists clients by account', async () => {
      const accountId = id('acct');
      await store.createAccount({ id: accountId, name: 'Partner', createdAt: new Date() },
        { id: id('user'), accountId, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
      const client: ClientRecord = {
        id: id('client'), accountId, name: 'Sync', type: 'web', environment: 'live', scopes: ['read:contacts', 'offline_access'],
        redirectUris: ['https://app.example/cb'], authMethod: 'client_secret_basic', secretHash: randomBase62(43), jwks: undefined,
        createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      };
      await store.createClient(client);
      expect(await store.findClient(client.id)).to.deep.equal(client);
      const second = { ...client, id: id('client'), secretHash: undefined, authMethod: 'private_key_jwt' as const, jwks: { keys: [{ kty: 'EC' }] } };
      await store.createClient(second);
      expect((await store.listClients(accountId)).map((c) => c.id).sort()).to.deep.equal([client.id, second.id].sort());
      expect(await store.findClient(id('client'))).to.equal(undefined);
    });
  });

  describe('API keys and audit events', () => {
    let accountId: string;
    const key = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id: id('key'), accountId, environment: 'test', name: 'CI', scopes: ['read:contacts'], hash: randomBase62(43),
      prefix: 'sk_test_', last4: 'abcd', createdBy: 'cli', createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      expiresAt: undefined, revokedAt: undefined, revokedReason: undefined, replacedBy: undefined, replaces: undefined,
      lastUsedAt: undefined, ...overrides,
    });
    const event = (action: string, targetId: string): AuditEvent => ({
      id: generateSortableId('evt'), accountId, actor: 'cli', action, targetId, reason: undefined, at: new Date(),
    });
    before(async () => {
      accountId = id('acct');
      await store.createAccount({ id: accountId, name: 'Keys', createdAt: new Date() },
        { id: id('user'), accountId, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
    });

    it('stores a key with its audit event and finds it by id and by hash', async () => {
      const k = key();
      await store.createApiKey(k, event('api_key.created', k.id));
      expect(await store.findApiKey(k.id)).to.deep.equal(k);
      expect(await store.findApiKeyByHash(k.hash)).to.deep.equal(k);
      expect(await store.findApiKeyByHash(randomBase62(43))).to.equal(undefined);
      expect((await store.listApiKeys(accountId)).map((x) => x.id)).to.include(k.id);
      const events = await store.listAuditEvents(accountId, 10);
      expect(events[0]).to.deep.include({ action: 'api_key.created', targetId: k.id, actor: 'cli' });
    });

    it('refuses a second key with the same hash', async () => {
      const k = key();
      await store.createApiKey(k, event('api_key.created', k.id));
      try {
        await store.createApiKey(key({ hash: k.hash }), event('api_key.created', 'x'));
        expect.fail('duplicate hash must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
    });

    it('rolls a key once: the old one gets its overlap, the new one is stored', async () => {
      const old = key();
      await store.createApiKey(old, event('api_key.created', old.id));
      const overlapEnd = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const next = key({ replaces: old.id });
      expect(await store.rollApiKey(old.id, overlapEnd, next, event('api_key.rolled', old.id))).to.equal(true);
      const after = await store.findApiKey(old.id);
      expect(after?.expiresAt?.getTime()).to.equal(overlapEnd.getTime());
      expect(after?.replacedBy).to.equal(next.id);
      expect((await store.findApiKey(next.id))?.replaces).to.equal(old.id);
      const again = key();
      expect(await store.rollApiKey(old.id, overlapEnd, again, event('api_key.rolled', old.id)), 'a rolled key cannot roll again').to.equal(false);
      expect(await store.findApiKey(again.id), 'nothing stored on refusal').to.equal(undefined);
    });

    it('keeps an earlier expiry when rolling', async () => {
      const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
      const old = key({ expiresAt: soon });
      await store.createApiKey(old, event('api_key.created', old.id));
      await store.rollApiKey(old.id, new Date(soon.getTime() + 86_400_000), key(), event('api_key.rolled', old.id));
      expect((await store.findApiKey(old.id))?.expiresAt?.getTime()).to.equal(soon.getTime());
    });

    it('revokes once, with a reason', async () => {
      const k = key();
      await store.createApiKey(k, event('api_key.created', k.id));
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      expect(await store.revokeApiKey(k.id, at, 'exposed in a URL', event('api_key.revoked', k.id))).to.equal(true);
      expect(await store.revokeApiKey(k.id, at, 'again', event('api_key.revoked', k.id))).to.equal(false);
      const found = await store.findApiKey(k.id);
      expect(found?.revokedAt?.getTime()).to.equal(at.getTime());
      expect(found?.revokedReason).to.equal('exposed in a URL');
      expect(await store.rollApiKey(k.id, new Date(), key(), event('api_key.rolled', k.id)), 'a revoked key cannot roll').to.equal(false);
      expect(await store.revokeApiKey(id('key'), at, 'nope', event('api_key.revoked', 'nope'))).to.equal(false);
    });

    it('records the last use, never moving it backwards', async () => {
      const k = key();
      await store.createApiKey(k, event('api_key.created', k.id));
      const later = new Date(Math.floor(Date.now() / 1000) * 1000 + 5000);
      await store.touchApiKey(k.id, later);
      await store.touchApiKey(k.id, new Date(later.getTime() - 1000));
      expect((await store.findApiKey(k.id))?.lastUsedAt?.getTime()).to.equal(later.getTime());
    });
  });

  describe('Partner API records', () => {
    const partition = (overrides: Partial<PartitionKey> = {}): PartitionKey => ({ kind: 'contact', accountId: 'acct_records', environment: 'test', ...overrides });

    it('keeps records in their partition (account, environment, kind)', async () => {
      const p = partition({ accountId: id('acct') });
      const record = { ...p, id: generateSortableId('ct'), data: { name: 'Ada' }, createdAt: new Date(1_700_000_000_000), updatedAt: new Date(1_700_000_000_000) };
      await store.insertRecord(record);
      expect(await store.findRecord(p, record.id)).to.deep.equal(record);
      expect(await store.findRecord({ ...p, environment: 'live' }, record.id), 'other environment').to.equal(undefined);
      expect(await store.findRecord({ ...p, accountId: id('acct') }, record.id), 'other account').to.equal(undefined);
      expect(await store.findRecord({ ...p, kind: 'webhook' }, record.id), 'other kind').to.equal(undefined);
      expect(await store.deleteRecord({ ...p, environment: 'live' }, record.id)).to.equal(false);
      expect(await store.updateRecord({ ...p, accountId: id('acct') }, record.id, { name: 'Eve' }, new Date())).to.equal(undefined);
    });

    it('updates and deletes', async () => {
      const p = partition({ accountId: id('acct') });
      const created = new Date(1_700_000_000_000);
      const record = { ...p, id: generateSortableId('ct'), data: { name: 'Ada' }, createdAt: created, updatedAt: created };
      await store.insertRecord(record);
      const updated = await store.updateRecord(p, record.id, { name: 'Ada L.' }, new Date(1_700_000_100_000));
      expect(updated?.data).to.deep.equal({ name: 'Ada L.' });
      expect(updated?.updatedAt.getTime()).to.equal(1_700_000_100_000);
      expect(await store.deleteRecord(p, record.id)).to.equal(true);
      expect(await store.findRecord(p, record.id)).to.equal(undefined);
    });

    it('pages in id order', async () => {
      const p = partition({ accountId: id('acct') });
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const recordId = `ct_${String(i).padStart(4, '0')}`;
        ids.push(recordId);
        await store.insertRecord({ ...p, id: recordId, data: { i }, createdAt: new Date(), updatedAt: new Date() });
      }
      const first = await store.listRecords(p, { limit: 3 });
      expect(first.map((r) => r.id)).to.deep.equal(ids.slice(0, 3));
      const second = await store.listRecords(p, { limit: 3, after: first[2]!.id });
      expect(second.map((r) => r.id)).to.deep.equal(ids.slice(3, 6));
      const last = await store.listRecords(p, { limit: 3, after: second[2]!.id });
      expect(last.map((r) => r.id)).to.deep.equal(ids.slice(6));
    });
  });

  describe('server secrets', () => {
    it('keeps the first value stored; racing instances agree', async () => {
      const name = id('secret');
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((v) => store.getOrCreateSecret(name, v)));
      expect(new Set(results).size).to.equal(1);
      expect(await store.getOrCreateSecret(name, 'later')).to.equal(results[0]);
    });
  });
}
