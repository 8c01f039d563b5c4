// The storage contract suite: written once, run against every store (see contract.test.ts).
import { expect } from 'chai';
import { DuplicateError, type ClientRecord, type Store } from '../../adapters/contract.ts';
import { randomBase62 } from '../../server/secrets.ts';

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

  describe('server secrets', () => {
    it('keeps the first value stored; racing instances agree', async () => {
      const name = id('secret');
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((v) => store.getOrCreateSecret(name, v)));
      expect(new Set(results).size).to.equal(1);
      expect(await store.getOrCreateSecret(name, 'later')).to.equal(results[0]);
    });
  });
}
