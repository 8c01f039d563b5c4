// Contract: accounts, users and server secrets (clients: clients.ts).
import { expect } from 'chai';
import { DuplicateError, type Store } from '../../../adapters/contract.ts';
import { randomBase62 } from '../../../server/secrets.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;

export function accountContract(store: () => Store): void {
  describe('accounts and users', () => {
    it('creates an account with its owner; emails are unique regardless of case', async () => {
      const accountId = id('acct');
      const email = `${randomBase62(8)}@example.com`.toLowerCase();
      const owner = { id: id('user'), accountId, email, passwordHash: '$argon2id$x', createdAt: new Date() };
      await store().createAccount({ id: accountId, name: 'Acme', createdAt: new Date() }, owner);
      expect((await store().findAccount(accountId))?.name).to.equal('Acme');
      expect(await store().findAccount(id('acct'))).to.equal(undefined);
      expect(await store().findUser(owner.id)).to.deep.include({ id: owner.id, accountId, email });
      expect((await store().findUserByEmail(email.toUpperCase()))?.id).to.equal(owner.id);
      const second = { ...owner, id: id('user'), email: `${randomBase62(8)}@example.com`.toLowerCase() };
      await store().createUser(second);
      expect((await store().findUserByEmail(second.email))?.accountId).to.equal(accountId);
      try {
        await store().createUser({ ...owner, id: id('user'), email: email.toUpperCase() });
        expect.fail('a second user with the same email must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
    });

    it('creates nothing when the owner\'s email is taken (all or nothing)', async () => {
      const email = `${randomBase62(8)}@example.com`.toLowerCase();
      const first = id('acct');
      await store().createAccount({ id: first, name: 'First', createdAt: new Date() },
        { id: id('user'), accountId: first, email, passwordHash: 'h', createdAt: new Date() });
      const second = id('acct');
      try {
        await store().createAccount({ id: second, name: 'Second', createdAt: new Date() },
          { id: id('user'), accountId: second, email, passwordHash: 'h', createdAt: new Date() });
        expect.fail('must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
      expect(await store().findAccount(second), 'no orphan account').to.equal(undefined);
    });
  });
  describe('server secrets', () => {
    it('keeps the first value stored; racing instances agree', async () => {
      const name = id('secret');
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((v) => store().getOrCreateSecret(name, v)));
      expect(new Set(results).size).to.equal(1);
      expect(await store().getOrCreateSecret(name, 'later')).to.equal(results[0]);
    });

    it('replaces a value only from the value it expects; of racing replacements one wins', async () => {
      const name = id('secret');
      expect(await store().findSecret(name)).to.equal(undefined);
      expect(await store().replaceSecret(name, undefined, 'v1')).to.equal(true);
      expect(await store().replaceSecret(name, undefined, 'other'), 'it exists now').to.equal(false);
      const won = await Promise.all(['v2a', 'v2b', 'v2c'].map((v) => store().replaceSecret(name, 'v1', v)));
      expect(won.filter(Boolean).length).to.equal(1);
      expect(await store().findSecret(name)).to.equal(['v2a', 'v2b', 'v2c'][won.indexOf(true)]);
      expect(await store().replaceSecret(name, 'v1', 'v3'), 'from a stale value').to.equal(false);
    });
  });
}
