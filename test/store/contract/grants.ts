// Contract: the one path by which a grant dies, and the tombstones that say why.
import { expect } from 'chai';
import type { GrantRevocation, Store } from '../../../adapters/contract.ts';
import { GRANT_REVOCATION_REASONS, type GrantRevocationReason } from '../../../config/revocation.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';
import { newClient } from './fixtures.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Math.floor(Date.now() / 1000);

export function grantContract(store: () => Store): void {
  describe('grant revocation and tombstones', () => {
    // A partner account owning the client, and a customer account whose user gave the grant.
    let partnerAccount: string;
    let customerAccount: string;
    let clientId: string;
    let userId: string;

    before(async () => {
      partnerAccount = id('acct');
      customerAccount = id('acct');
      userId = id('user');
      clientId = id('client');
      const email = () => `${randomBase62(8)}@example.com`.toLowerCase();
      await store().createAccount({ id: partnerAccount, name: 'Partner', createdAt: new Date() },
        { id: id('user'), accountId: partnerAccount, email: email(), passwordHash: 'h', createdAt: new Date() });
      await store().createAccount({ id: customerAccount, name: 'Customer', createdAt: new Date() },
        { id: userId, accountId: customerAccount, email: email(), passwordHash: 'h', createdAt: new Date() });
      await store().createClient(newClient(partnerAccount, { id: clientId, environment: 'test', scopes: ['read:contacts'] }), undefined);
    });

    /** A grant with two refresh tokens (one spent), a code and an interaction bound to it. */
    async function grantWithFamily(options: { tokenTtl?: number; grantExp?: number } = {}) {
      const grantId = id('grant');
      const tokens = [id('rt'), id('rt')];
      await store().oidc.upsert('Grant', grantId, { accountId: userId, clientId, exp: options.grantExp ?? now() + 3600 }, 3600);
      for (const token of tokens) {
        await store().oidc.upsert('RefreshToken', token, { grantId, accountId: userId, clientId }, options.tokenTtl ?? 600);
      }
      await store().oidc.consume('RefreshToken', tokens[0]!);
      await store().oidc.upsert('AuthorizationCode', id('code'), { grantId, accountId: userId, clientId }, 60);
      await store().oidc.upsert('Interaction', id('int'), { grantId, uid: id('uid') }, 60);
      // The sealed answer kept for a retry of the first token's refresh (server/oidc/refresh-retry.ts).
      await store().oidc.upsert('RefreshRetry', tokens[0]!, { grantId, clientId, sealed: 'x' }, 30);
      return { grantId, tokens };
    }

    const revocation = (reason: GrantRevocationReason): GrantRevocation => ({ reason, actor: `user:${userId}`, at: new Date() });

    async function eventsFor(account: string, grantId: string) {
      return (await store().listAuditEvents(account, 100)).filter((e) => e.targetId === grantId);
    }

    it('revokes everything bound to the grant, once, leaving a tombstone per refresh token and one audit event per account', async () => {
      const { grantId, tokens } = await grantWithFamily();
      const bystander = await grantWithFamily();
      const results = await Promise.all([1, 2, 3].map(() => store().oidc.revokeByGrantId(grantId, revocation('revoked_by_user'))));
      expect(results.filter(Boolean), 'exactly one call revokes').to.have.length(1);
      expect(await store().oidc.revokeByGrantId(grantId, revocation('reused')), 'a later call').to.equal(false);

      expect(await store().oidc.find('Grant', grantId)).to.equal(undefined);
      expect(await store().oidc.find('RefreshRetry', tokens[0]!), 'the retry answer').to.equal(undefined);
      for (const token of tokens) {
        expect(await store().oidc.find('RefreshToken', token)).to.equal(undefined);
        const tombstone = await store().oidc.findTombstone(token);
        expect(tombstone).to.deep.include({ id: token, reason: 'revoked_by_user', grantId, accountId: userId, clientId });
        expect(tombstone!.expiresAt.getTime()).to.be.greaterThan(Date.now());
      }
      expect(await store().oidc.find('Grant', bystander.grantId), 'another grant').to.not.equal(undefined);
      expect(await store().oidc.find('RefreshToken', bystander.tokens[1]!)).to.not.equal(undefined);
      expect(await store().oidc.findTombstone(bystander.tokens[1]!)).to.equal(undefined);

      for (const account of [partnerAccount, customerAccount]) {
        const events = await eventsFor(account, grantId);
        expect(events, `events in ${account}`).to.have.length(1);
        expect(events[0]).to.deep.include({ action: 'grant.revoked', actor: `user:${userId}`, reason: 'revoked_by_user' });
      }
    });

    it('revokes the API keys bound to the grant, each with its event, and no other', async () => {
      const { grantId } = await grantWithFamily();
      const key = (grant: string | undefined) => ({
        id: id('key'), accountId: customerAccount, environment: 'test' as const, name: 'bound', scopes: ['read:contacts'],
        hash: randomBase62(43), prefix: 'sk_test_', last4: 'abcd', createdBy: `user:${userId} via client:${clientId}`, createdAt: new Date(),
        expiresAt: undefined, revokedAt: undefined, revokedReason: undefined, replacedBy: undefined, replaces: undefined,
        lastUsedAt: undefined, grantId: grant,
      });
      const bound = key(grantId);
      const free = key(undefined);
      for (const k of [bound, free]) {
        await store().createApiKey(k, { id: generateSortableId('evt'), accountId: customerAccount, actor: 'cli', action: 'api_key.created', targetId: k.id, reason: undefined, at: new Date() });
      }
      expect(await store().oidc.revokeByGrantId(grantId, revocation('revoked_by_user'))).to.equal(true);
      const revoked = await store().findApiKey(bound.id);
      expect(revoked?.revokedAt).to.be.instanceOf(Date);
      expect(revoked?.revokedReason).to.equal(`grant revoked: ${GRANT_REVOCATION_REASONS.revoked_by_user.summary}`);
      expect((await store().findApiKey(free.id))?.revokedAt).to.equal(undefined);
      const events = await store().listTargetEvents(customerAccount, bound.id, { limit: 10 });
      expect(events.map((e) => [e.action, e.actor])).to.deep.equal([['api_key.revoked', `user:${userId}`], ['api_key.created', 'cli']]);
    });

    it('keeps each reason readable in the tombstone', async () => {
      for (const reason of Object.keys(GRANT_REVOCATION_REASONS) as GrantRevocationReason[]) {
        const { grantId, tokens } = await grantWithFamily();
        expect(await store().oidc.revokeByGrantId(grantId, revocation(reason))).to.equal(true);
        expect((await store().oidc.findTombstone(tokens[1]!))?.reason, reason).to.equal(reason);
      }
    });

    it('keeps the first reason when a token of the grant is revoked again', async () => {
      const { grantId, tokens } = await grantWithFamily();
      await store().oidc.revokeByGrantId(grantId, revocation('revoked_by_client'));
      // The same token id stored again under the grant (a restore from backup, say) and revoked again.
      await store().oidc.upsert('RefreshToken', tokens[1]!, { grantId, accountId: userId, clientId }, 600);
      expect(await store().oidc.revokeByGrantId(grantId, revocation('reported_leaked'))).to.equal(true);
      expect((await store().oidc.findTombstone(tokens[1]!))?.reason).to.equal('revoked_by_client');
    });

    it('drops a tombstone when its token would have expired', async () => {
      const { grantId, tokens } = await grantWithFamily({ tokenTtl: 1 });
      await store().oidc.revokeByGrantId(grantId, revocation('reused'));
      expect((await store().oidc.findTombstone(tokens[1]!))?.reason).to.equal('reused');
      await sleep(1100);
      expect(await store().oidc.findTombstone(tokens[1]!)).to.equal(undefined);
      expect(await store().sweepExpired()).to.be.greaterThanOrEqual(2);
    });

    it('revokes a grant whose own lifetime has ended when sweeping, as grant_expired', async () => {
      const { grantId, tokens } = await grantWithFamily({ grantExp: now() - 1 });
      expect(await store().oidc.find('Grant', grantId), 'kept past its lifetime until the sweep').to.not.equal(undefined);
      // Both stores count what the revocation removed, the grant and its tokens (issue 21, defect 7).
      expect(await store().sweepExpired()).to.be.at.least(1 + tokens.length);
      expect(await store().oidc.find('Grant', grantId)).to.equal(undefined);
      expect((await store().oidc.findTombstone(tokens[1]!))?.reason).to.equal('grant_expired');
      const events = await eventsFor(partnerAccount, grantId);
      expect(events.map((e) => [e.action, e.actor, e.reason])).to.deep.equal([['grant.revoked', 'system', 'grant_expired']]);
    });
  });
}
