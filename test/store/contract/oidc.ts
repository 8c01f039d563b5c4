// Contract: oidc-provider's models (and our own short-lived records) by model and id.
import { expect } from 'chai';
import type { Store } from '../../../adapters/contract.ts';
import { randomBase62 } from '../../../server/secrets.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function oidcModelContract(store: () => Store): void {
  describe('oidc-provider models', () => {
    it('stores and finds a payload by model and id', async () => {
      const jti = id('at');
      const payload = { jti, kind: 'AccessToken', grantId: id('grant'), scope: 'read:contacts', nested: { a: [1, 2] } };
      await store().oidc.upsert('AccessToken', jti, payload, 60);
      expect(await store().oidc.find('AccessToken', jti)).to.deep.equal(payload);
      expect(await store().oidc.find('RefreshToken', jti), 'models are separate').to.equal(undefined);
      expect(await store().oidc.find('AccessToken', id('nope'))).to.equal(undefined);
    });

    it('replaces a payload on upsert', async () => {
      const uid = id('sess');
      await store().oidc.upsert('Session', uid, { uid, accountId: 'a' }, 60);
      await store().oidc.upsert('Session', uid, { uid, accountId: 'b' }, 60);
      expect(await store().oidc.find('Session', uid)).to.deep.equal({ uid, accountId: 'b' });
    });

    it('finds by uid and by user code', async () => {
      const sessionId = id('s');
      const uid = id('uid');
      await store().oidc.upsert('Session', sessionId, { uid, accountId: 'x' }, 60);
      expect(await store().oidc.findByUid('Session', uid)).to.deep.equal({ uid, accountId: 'x' });
      expect(await store().oidc.findByUid('Session', id('uid'))).to.equal(undefined);
      const deviceId = id('dc');
      const userCode = randomBase62(8);
      await store().oidc.upsert('DeviceCode', deviceId, { userCode }, 60);
      expect(await store().oidc.findByUserCode('DeviceCode', userCode)).to.deep.equal({ userCode });
      expect(await store().oidc.findByUserCode('DeviceCode', 'nope')).to.equal(undefined);
    });

    it('never returns an expired record, and sweeps it', async () => {
      const jti = id('short');
      const uid = id('uid');
      await store().oidc.upsert('Interaction', jti, { uid, userCode: uid }, 1);
      expect(await store().oidc.find('Interaction', jti)).to.not.equal(undefined);
      await sleep(1100);
      expect(await store().oidc.find('Interaction', jti)).to.equal(undefined);
      expect(await store().oidc.findByUid('Interaction', uid)).to.equal(undefined);
      expect(await store().oidc.findByUserCode('Interaction', uid)).to.equal(undefined);
      expect(await store().oidc.consume('Interaction', jti), 'an expired record cannot be consumed').to.equal(false);
      expect(await store().sweepExpired()).to.be.greaterThanOrEqual(1);
    });

    it('keeps a record without expiry', async () => {
      const jti = id('forever');
      await store().oidc.upsert('Client', jti, { a: 1 }, undefined);
      expect(await store().oidc.find('Client', jti)).to.deep.equal({ a: 1 });
    });

    it('lists a model\'s unexpired records in id order, a page at a time', async () => {
      // A model of its own per run: the store may be shared with other tests.
      const model = `ListProbe${randomBase62(6)}`;
      for (const key of ['c', 'a', 'd', 'b']) await store().oidc.upsert(model, key, { key }, undefined);
      await store().oidc.upsert(model, 'e', { key: 'e' }, 1);
      await store().oidc.upsert('Client', 'aa', { key: 'other model' }, 60);
      expect((await store().oidc.list(model, { limit: 10 })).map((r) => r.id)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(await store().oidc.list(model, { limit: 2, after: 'b' })).to.deep.equal([{ id: 'c', payload: { key: 'c' } }, { id: 'd', payload: { key: 'd' } }]);
      expect(await store().oidc.list(model, { limit: 0 })).to.deep.equal([]);
      await sleep(1100);
      expect((await store().oidc.list(model, { limit: 10 })).map((r) => r.id), 'never an expired one').to.deep.equal(['a', 'b', 'c', 'd']);
    });

    it('consumes once: true, then false, and marks the payload consumed', async () => {
      const jti = id('rt');
      await store().oidc.upsert('RefreshToken', jti, { jti, grantId: 'g' }, 60);
      expect(await store().oidc.consume('RefreshToken', jti)).to.equal(true);
      expect(await store().oidc.consume('RefreshToken', jti)).to.equal(false);
      const found = await store().oidc.find('RefreshToken', jti);
      expect(found?.consumed).to.be.a('number');
      expect(await store().oidc.consume('RefreshToken', id('missing'))).to.equal(false);
    });

    it('lets exactly one of 25 parallel consumes win', async () => {
      for (let round = 0; round < 5; round += 1) {
        const jti = id('race');
        await store().oidc.upsert('RefreshToken', jti, { jti }, 60);
        const results = await Promise.all(Array.from({ length: 25 }, () => store().oidc.consume('RefreshToken', jti)));
        expect(results.filter(Boolean), `round ${round}`).to.have.length(1);
      }
    });

    it('destroys a record', async () => {
      const jti = id('gone');
      await store().oidc.upsert('AuthorizationCode', jti, { jti }, 60);
      await store().oidc.destroy('AuthorizationCode', jti);
      expect(await store().oidc.find('AuthorizationCode', jti)).to.equal(undefined);
    });

    it('says when each grant was last used: the iat of its newest refresh token, spent or not', async () => {
      const [used, refreshed, unused, other] = [id('g'), id('g'), id('g'), id('g')];
      const iat = Math.floor(Date.now() / 1000) - 600;
      await store().oidc.upsert('RefreshToken', id('rt'), { grantId: used, iat }, 60);
      const spent = id('rt');
      await store().oidc.upsert('RefreshToken', spent, { grantId: refreshed, iat: iat + 100 }, 60);
      await store().oidc.consume('RefreshToken', spent);
      await store().oidc.upsert('RefreshToken', id('rt'), { grantId: refreshed, iat: iat + 300 }, 60);
      await store().oidc.upsert('RefreshToken', id('rt'), { grantId: refreshed, iat: iat + 200 }, 60);
      await store().oidc.upsert('AccessToken', id('at'), { grantId: unused, iat: iat + 500 }, 60);
      await store().oidc.upsert('RefreshToken', id('rt'), { grantId: other, iat: iat + 400 }, 60);
      const lastUsed = await store().oidc.grantsLastUsed([used, refreshed, unused, id('g')]);
      expect([...lastUsed.entries()].sort()).to.deep.equal([
        [refreshed, new Date((iat + 300) * 1000)], [used, new Date(iat * 1000)],
      ].sort());
      expect((await store().oidc.grantsLastUsed([])).size).to.equal(0);
    });

    it('finds the newest grant a user gave a client', async () => {
      const accountId = id('user');
      const clientId = id('client');
      await store().oidc.upsert('Grant', id('g-old'), { accountId, clientId, tag: 'old' }, 60);
      const newest = id('g-new');
      await store().oidc.upsert('Grant', newest, { accountId, clientId, tag: 'new' }, 120);
      await store().oidc.upsert('Grant', id('g-other'), { accountId, clientId: id('client'), tag: 'other' }, 300);
      expect(await store().oidc.findGrantId(accountId, clientId)).to.equal(newest);
      expect(await store().oidc.findGrantId(accountId, id('client'))).to.equal(undefined);
    });
  });
}
