// Contract: changes to a user, single-use links, and the mail outbox, each written with what goes
// along with it in one transaction (issue 22).
import { expect } from 'chai';
import { DuplicateError, type AuditEvent, type OutgoingMail, type Store, type UserToken } from '../../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';
import { id, newAccount } from './fixtures.ts';

const mail = (to = 'someone@example.com', template = 'verify_email'): OutgoingMail => ({
  id: generateSortableId('mail'), to, template, sealed: randomBase62(40), createdAt: new Date(),
});
const link = (userId: string, purpose: UserToken['purpose'], ttlMs = 60_000, email = 'someone@example.com'): UserToken => ({
  hash: randomBase62(43), userId, purpose, email, createdAt: new Date(), expiresAt: new Date(Date.now() + ttlMs),
});
const event = (accountId: string, userId: string, action: string): AuditEvent => ({
  id: generateSortableId('evt'), accountId, actor: `user:${userId}`, action, targetId: userId, reason: undefined, at: new Date(),
});

export function userChangeContract(store: () => Store): void {
  describe('user changes, single-use links and the mail outbox', () => {
    it('a new user is unverified with no second factor; the operator can create one verified', async () => {
      const { accountId, userId } = await newAccount(store());
      expect(await store().findUser(userId)).to.deep.include({ emailVerifiedAt: undefined, totp: undefined, recoveryCodes: [] });
      const vouched = { id: id('user'), accountId, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date(), emailVerifiedAt: new Date() };
      await store().createUser(vouched);
      expect((await store().findUser(vouched.id))?.emailVerifiedAt).to.be.instanceOf(Date);
    });

    it('updateUser applies the change with its mail and event, and refuses a taken email', async () => {
      const { accountId, userId } = await newAccount(store());
      const other = await newAccount(store());
      const totp = { sealedSecret: 'sealed', enabledAt: new Date(), lastStep: 7 };
      const sent = mail();
      const updated = await store().updateUser(userId, { passwordHash: 'h2', totp, recoveryCodes: ['a', 'b'] },
        { mails: [sent], events: [event(accountId, userId, 'user.password_changed')] });
      expect(updated).to.deep.include({ passwordHash: 'h2', recoveryCodes: ['a', 'b'] });
      expect(updated?.totp).to.deep.equal(totp);
      expect((await store().listMails(50)).map((m) => m.id)).to.include(sent.id);
      expect((await store().listAuditEvents(accountId, 5)).map((e) => e.action)).to.include('user.password_changed');
      expect((await store().updateUser(userId, { totp: null }))?.totp, 'null clears').to.equal(undefined);
      expect(await store().updateUser(id('user'), { passwordHash: 'x' }), 'no such user').to.equal(undefined);

      const taken = (await store().findUser(other.userId))!.email;
      const refusedMail = mail();
      const refused = await store().updateUser(userId, { email: taken.toUpperCase() }, { mails: [refusedMail] }).catch((err: unknown) => err);
      expect(refused).to.be.instanceOf(DuplicateError);
      expect((await store().listMails(50)).map((m) => m.id), 'nothing written with a refused change').not.to.include(refusedMail.id);
    });

    it('a link is used once, within its life, for its purpose; its siblings die with it', async () => {
      const { userId } = await newAccount(store());
      const first = link(userId, 'reset_password');
      const second = link(userId, 'reset_password');
      const verify = link(userId, 'verify_email', 60_000, 'new@example.com');
      const expired = link(userId, 'verify_email', -1000);
      await store().writeAlong({ tokens: [first, second, verify, expired] });
      expect(await store().findUserToken(first.hash, 'verify_email'), 'another purpose').to.equal(undefined);
      expect((await store().findUserToken(first.hash, 'reset_password'))?.userId).to.equal(userId);
      expect(await store().findUserToken(expired.hash, 'verify_email'), 'expired').to.equal(undefined);
      expect(await store().useUserToken(expired.hash, 'verify_email', { emailVerifiedAt: new Date() })).to.equal(undefined);

      const done = mail();
      const used = await Promise.all([
        store().useUserToken(first.hash, 'reset_password', { passwordHash: 'new' }, { mails: [done] }),
        store().useUserToken(first.hash, 'reset_password', { passwordHash: 'newer' }),
      ]);
      expect(used.filter(Boolean), 'exactly one use').to.have.length(1);
      expect((await store().findUser(userId))?.passwordHash).to.equal('new');
      expect(await store().findUserToken(second.hash, 'reset_password'), 'its sibling died').to.equal(undefined);
      expect(await store().findUserToken(verify.hash, 'verify_email'), 'another purpose lives').to.not.equal(undefined);
      expect((await store().listMails(50)).map((m) => m.id)).to.include(done.id);
    });

    it('createAccount writes its link and mail with it, or nothing', async () => {
      const { userId: existing } = await newAccount(store());
      const taken = (await store().findUser(existing))!.email;
      const accountId = id('acct');
      const userId = id('user');
      const refusedMail = mail(taken);
      const refused = await store().createAccount({ id: accountId, name: 'Dup', createdAt: new Date() },
        { id: userId, accountId, email: taken, passwordHash: 'h', createdAt: new Date() },
        { mails: [refusedMail], tokens: [link(userId, 'verify_email')] }).catch((err: unknown) => err);
      expect(refused).to.be.instanceOf(DuplicateError);
      expect((await store().listMails(50)).map((m) => m.id)).not.to.include(refusedMail.id);
    });

    it('mails are leased to one sender, retried when due, and finished once', async () => {
      const queued = mail(`${randomBase62(6)}@example.com`);
      await store().writeAlong({ mails: [queued] });
      const now = new Date(Date.now() + 1000);
      const [a, b] = await Promise.all([store().claimMails('a', now, 100, 30), store().claimMails('b', now, 100, 30)]);
      const holders = [a, b].filter((claimed) => claimed.some((m) => m.id === queued.id));
      expect(holders, 'one sender holds it').to.have.length(1);
      const owner = holders[0] === a ? 'a' : 'b';
      const other = owner === 'a' ? 'b' : 'a';
      expect(await store().finishMail(queued.id, other, { status: 'sent', at: new Date() }), 'not the holder').to.equal(false);
      const retryAt = new Date(Date.now() + 60_000);
      expect(await store().finishMail(queued.id, owner, { status: 'pending', at: new Date(), nextAttemptAt: retryAt, error: 'refused' })).to.equal(true);
      expect((await store().claimMails('c', now, 100, 30)).map((m) => m.id), 'not due yet').not.to.include(queued.id);
      const later = await store().claimMails('c', new Date(retryAt.getTime() + 1), 100, 30);
      const again = later.find((m) => m.id === queued.id);
      expect(again).to.deep.include({ attempts: 1, lastError: 'refused', sealed: queued.sealed });
      expect(await store().finishMail(queued.id, 'c', { status: 'sent', at: new Date() })).to.equal(true);
      expect(await store().finishMail(queued.id, 'c', { status: 'sent', at: new Date() }), 'once').to.equal(false);
      expect((await store().listMails(100)).find((m) => m.id === queued.id)?.status).to.equal('sent');
    });

    it('pending mails are listed in pages and sealed again only while pending and unchanged', async () => {
      const [first, second] = [mail(`${randomBase62(6)}@example.com`), mail(`${randomBase62(6)}@example.com`)];
      await store().writeAlong({ mails: [first, second] });
      const pending: string[] = [];
      for (let after: string | undefined, page; (page = await store().listPendingMails({ limit: 1, after })).length > 0; after = page.at(-1)!.id) {
        expect(page).to.have.length(1);
        pending.push(page[0]!.id);
      }
      expect(pending).to.include.members([first.id, second.id]);
      expect(pending, 'in id order').to.deep.equal([...pending].sort());
      expect(await store().resealMail(first.id, 'not what it holds', 'resealed'), 'changed meanwhile').to.equal(false);
      expect(await store().resealMail(first.id, first.sealed, 'resealed')).to.equal(true);
      const [claimed] = (await store().claimMails('d', new Date(Date.now() + 1000), 100, 30)).filter((m) => m.id === first.id);
      expect(claimed?.sealed).to.equal('resealed');
      await store().finishMail(first.id, 'd', { status: 'sent', at: new Date() });
      expect(await store().resealMail(first.id, 'resealed', 'again'), 'sent already').to.equal(false);
      expect((await store().listPendingMails({ limit: 1000 })).map((m) => m.id)).not.to.include(first.id);
    });
  });
}
