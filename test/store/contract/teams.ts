// Contract: an account's members and invitations (contract-teams.ts). The last owner stays, also
// when two changes race; an invitation is used once, and only while pending and unexpired.
import { expect } from 'chai';
import { DuplicateError, type Invitation, type Store } from '../../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;
const email = () => `${randomBase62(10)}@example.com`.toLowerCase();
const event = (accountId: string, action: string) => ({
  id: generateSortableId('evt'), accountId, actor: 'operator', action, targetId: accountId, reason: undefined, at: new Date(),
});

export function teamContract(store: () => Store): void {
  describe('members and invitations', () => {
    async function account(...roles: ('owner' | 'admin' | 'developer' | 'viewer')[]): Promise<{ accountId: string; ids: string[] }> {
      const accountId = id('acct');
      const ids = roles.map(() => id('user'));
      await store().createAccount({ id: accountId, name: 'Team', createdAt: new Date() },
        { id: ids[0]!, accountId, email: email(), passwordHash: 'h', createdAt: new Date() });
      for (const [n, role] of roles.entries()) {
        if (n > 0) await store().createUser({ id: ids[n]!, accountId, email: email(), passwordHash: 'h', createdAt: new Date(Date.now() + n), role });
      }
      return { accountId, ids };
    }
    const invitation = (accountId: string, overrides: Partial<Invitation> = {}): Invitation => ({
      id: generateSortableId('inv'), accountId, email: email(), role: 'developer', tokenHash: randomBase62(43), invitedBy: 'operator',
      createdAt: new Date(), expiresAt: new Date(Date.now() + 3600_000), acceptedAt: undefined, revokedAt: undefined, ...overrides,
    });

    it('makes the first user an owner, lists members oldest first, and keeps policies', async () => {
      const { accountId, ids } = await account('owner', 'viewer');
      const members = await store().listMembers(accountId);
      expect(members.map((m) => [m.id, m.role])).to.deep.equal([[ids[0], 'owner'], [ids[1], 'viewer']]);
      expect((await store().findAccount(accountId))?.policy).to.deep.equal({ requireTwoFactor: false, liveAdminsOnly: false });
      await store().setPolicy(accountId, { requireTwoFactor: true, liveAdminsOnly: true }, event(accountId, 'account.policy_changed'));
      expect((await store().findAccount(accountId))?.policy).to.deep.equal({ requireTwoFactor: true, liveAdminsOnly: true });
    });

    it('changes roles, but never takes the last owner away; two owners demoting each other at once leave one', async () => {
      const { accountId, ids } = await account('owner', 'owner', 'developer');
      expect(await store().changeRole(accountId, ids[2]!, 'admin', { events: [event(accountId, 'member.role_changed')] })).to.include({ role: 'admin' });
      expect(await store().changeRole('acct_other', ids[2]!, 'viewer', {})).to.equal('not_found');
      const results = await Promise.all([
        store().changeRole(accountId, ids[0]!, 'admin', {}), store().changeRole(accountId, ids[1]!, 'admin', {}),
      ]);
      expect(results.filter((r) => r === 'last_owner'), JSON.stringify(results)).to.have.length(1);
      expect((await store().listMembers(accountId)).filter((m) => m.role === 'owner')).to.have.length(1);
    });

    it('removes a member, never the last owner, and forgets them', async () => {
      const { accountId, ids } = await account('owner', 'developer');
      expect(await store().removeMember(accountId, ids[0]!, {})).to.equal('last_owner');
      const removed = await store().removeMember(accountId, ids[1]!, { events: [event(accountId, 'member.removed')] });
      expect(removed).to.include({ id: ids[1] });
      expect(await store().findUser(ids[1]!)).to.equal(undefined);
      expect(await store().removeMember(accountId, ids[1]!, {})).to.equal('not_found');
    });

    it('keeps one pending invitation per address; withdraws and renews only pending ones', async () => {
      const { accountId } = await account('owner');
      const first = invitation(accountId);
      await store().createInvitation(first, {});
      const second = invitation(accountId, { email: first.email, role: 'viewer' });
      await store().createInvitation(second, {});
      expect((await store().listInvitations(accountId)).map((i) => i.id)).to.deep.equal([second.id]);
      expect((await store().findInvitation(first.id))?.revokedAt).to.be.instanceOf(Date);
      expect(await store().renewInvitation(second.id, 'newhash', new Date(Date.now() + 7200_000), {})).to.equal(true);
      expect((await store().findInvitationByHash('newhash'))?.id).to.equal(second.id);
      expect(await store().revokeInvitation(second.id, new Date(), event(accountId, 'member.invitation_revoked'))).to.equal(true);
      expect(await store().revokeInvitation(second.id, new Date(), event(accountId, 'member.invitation_revoked'))).to.equal(false);
      expect(await store().renewInvitation(second.id, 'other', new Date(), {})).to.equal(false);
      expect(await store().listInvitations(accountId)).to.deep.equal([]);
    });

    it('accepts an invitation once, into its account with its role; not when expired, withdrawn or the address is taken', async () => {
      const { accountId } = await account('owner');
      const open = invitation(accountId, { role: 'viewer' });
      await store().createInvitation(open, {});
      const newUser = () => ({ id: id('user'), accountId: 'ignored', email: 'ignored@example.com', passwordHash: 'h', createdAt: new Date(), emailVerifiedAt: new Date() });
      const joined = await store().acceptInvitation(open.id, newUser(), new Date(), {});
      expect(joined).to.include({ accountId, email: open.email, role: 'viewer' });
      expect(await store().acceptInvitation(open.id, newUser(), new Date(), {}), 'used once').to.equal(undefined);

      const expired = invitation(accountId, { expiresAt: new Date(Date.now() - 1000) });
      await store().createInvitation(expired, {});
      expect(await store().acceptInvitation(expired.id, newUser(), new Date(), {})).to.equal(undefined);

      const taken = invitation(accountId, { email: open.email });
      await store().createInvitation(taken, {});
      try {
        await store().acceptInvitation(taken.id, newUser(), new Date(), {});
        expect.fail('the address has a user');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
      expect((await store().findInvitation(taken.id))?.acceptedAt, 'nothing written').to.equal(undefined);
    });
  });
}
