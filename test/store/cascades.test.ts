// The cascade plans (adapters/cascades.ts) that both stores carry out: what a grant's or a
// client's death writes, decided once.
import { expect } from 'chai';
import { creatorName, grantDeathPlan, keyDeathsPlan, keysCreatedBy, keysOfGrant, lineageReason } from '../../adapters/cascades.ts';
import type { GrantRevocation } from '../../adapters/contract.ts';

const at = new Date('2026-12-07T10:00:00Z');
const key = (id: string, accountId = 'acct_partner') => ({ id, accountId, environment: 'live' as const, name: `key ${id}` });

describe('cascade plans', () => {
  it('a grant revoked by its user: bound keys first, then grant.revoked for both accounts, and the webhook events to the client owner', () => {
    const revocation: GrantRevocation = { reason: 'revoked_by_user', actor: 'user:u1', at };
    const plan = grantDeathPlan('grant_1', revocation, {
      client: { id: 'client_1', accountId: 'acct_partner', environment: 'live' }, userId: 'u1', userAccountId: 'acct_customer',
    }, [key('key_1'), key('key_2')]);
    expect(plan.audit.map((e) => [e.action, e.targetId, e.accountId])).to.deep.equal([
      ['api_key.revoked', 'key_1', 'acct_partner'], ['api_key.revoked', 'key_2', 'acct_partner'],
      ['grant.revoked', 'grant_1', 'acct_partner'], ['grant.revoked', 'grant_1', 'acct_customer'],
    ]);
    expect(plan.audit[0]!.reason).to.equal(keysOfGrant('grant_1', revocation).reason);
    expect(plan.webhookEvents.map((e) => [e.type, e.accountId, e.environment])).to.deep.equal([
      ['api_key.revoked', 'acct_partner', 'live'], ['api_key.revoked', 'acct_partner', 'live'],
      ['connected_app.revoked', 'acct_partner', 'live'],
    ]);
    expect(plan.webhookEvents[2]!.data).to.deep.equal({ grant_id: 'grant_1', client_id: 'client_1', user_id: 'u1' });
  });

  it('one grant.revoked when the user belongs to the client owner, and no webhook event once the client is gone', () => {
    const revocation: GrantRevocation = { reason: 'reused', actor: 'system', at };
    const same = grantDeathPlan('grant_2', revocation, {
      client: { id: 'client_1', accountId: 'acct_partner', environment: 'test' }, userId: 'u2', userAccountId: 'acct_partner',
    }, []);
    expect(same.audit.map((e) => e.accountId)).to.deep.equal(['acct_partner']);
    expect(same.webhookEvents.map((e) => e.type)).to.deep.equal(['refresh_token.reuse_detected']);
    const orphan = grantDeathPlan('grant_3', revocation, { client: undefined, userId: 'u3', userAccountId: 'acct_customer' }, []);
    expect(orphan.audit.map((e) => e.accountId)).to.deep.equal(['acct_customer']);
    expect(orphan.webhookEvents).to.deep.equal([]);
  });

  it("a deleted client's keys die with the client's reason, each with its event", () => {
    const lineage = keysCreatedBy(creatorName('client', 'client_9'), lineageReason({ kind: 'client', id: 'client_9' }), at);
    expect(lineage).to.deep.include({ field: 'createdBy', value: 'client:client_9', reason: 'the client that created it was deleted' });
    expect(lineageReason({ kind: 'api_key', id: 'key_1' })).to.equal('created by revoked key key_1');
    const plan = keyDeathsPlan([key('key_9', 'acct_x')], lineage, 'cli', at);
    expect(plan.audit).to.have.length(1);
    expect(plan.audit[0]).to.deep.include({ action: 'api_key.revoked', targetId: 'key_9', accountId: 'acct_x', reason: lineage.reason, actor: 'cli' });
    expect(plan.webhookEvents.map((e) => e.type)).to.deep.equal(['api_key.revoked']);
  });
});
