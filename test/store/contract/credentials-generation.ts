// Contract: the credentials generation, which every instance polls to drop its caches of clients and
// API keys. It moves with every change to a credential that exists, in the change's own transaction,
// including a change that finds its record already in the target state (the retry of a change whose
// first attempt failed must still reach other instances), and never for an id that matches nothing
// (a leak report of garbage moves nothing). The store also tells this process at once.
import { expect } from 'chai';
import { CreatorGoneError, type GrantRevocation, type Store } from '../../../adapters/contract.ts';
import { randomBase62 } from '../../../server/secrets.ts';
import { auditEvent, newAccount, newApiKey, newClient } from './fixtures.ts';

export function credentialsGenerationContract(store: () => Store): void {
  describe('credentials generation', () => {
    let accountId: string;
    let told = 0;
    let unsubscribe: () => void;
    const revocation = (): GrantRevocation => ({ reason: 'revoked_by_user', actor: 'cli', at: new Date() });

    before(async () => {
      ({ accountId } = await newAccount(store()));
      unsubscribe = store().onCredentialsChange(() => { told += 1; });
    });
    after(() => unsubscribe());

    /** Runs `change` and says whether the generation moved and this process was told. */
    async function moved(change: () => Promise<unknown>): Promise<{ moved: boolean; told: boolean }> {
      const before = await store().credentialsGeneration();
      const toldBefore = told;
      await change();
      return { moved: await store().credentialsGeneration() !== before, told: told > toldBefore };
    }

    it('moves when a key is revoked, again when the revocation is repeated, and not for an unknown key', async () => {
      const key = newApiKey(accountId);
      await store().createApiKey(key, auditEvent(accountId, 'api_key.created', key.id));
      const revoke = () => store().revokeApiKey(key.id, new Date(), 'test', auditEvent(accountId, 'api_key.revoked', key.id));
      expect(await moved(revoke)).to.deep.equal({ moved: true, told: true });
      expect(await moved(revoke), 'a repeated revocation (already revoked)').to.deep.equal({ moved: true, told: true });
      const unknown = `key_${randomBase62(12)}`;
      expect(await moved(() => store().revokeApiKey(unknown, new Date(), 'test', auditEvent(accountId, 'api_key.revoked', unknown))))
        .to.deep.equal({ moved: false, told: false });
    });

    it('moves when a key is rolled, and when a roll finds it already rolled', async () => {
      const key = newApiKey(accountId);
      await store().createApiKey(key, auditEvent(accountId, 'api_key.created', key.id));
      const roll = () => {
        const next = newApiKey(accountId);
        return store().rollApiKey(key.id, new Date(Date.now() + 60_000), next, auditEvent(accountId, 'api_key.rolled', next.id));
      };
      expect(await moved(roll)).to.deep.equal({ moved: true, told: true });
      expect(await moved(roll), 'already rolled').to.deep.equal({ moved: true, told: true });
    });

    it('moves when a grant dies with its bound keys, again on a repeat, and not for a grant that never was', async () => {
      const grantId = `grant_${randomBase62(12)}`;
      await store().oidc.upsert('Grant', grantId, { accountId: 'user_x', clientId: 'client_x', exp: Math.floor(Date.now() / 1000) + 3600 }, 3600);
      const bound = newApiKey(accountId, { grantId });
      await store().createApiKey(bound, auditEvent(accountId, 'api_key.created', bound.id));
      expect(await moved(() => store().oidc.revokeByGrantId(grantId, revocation()))).to.deep.equal({ moved: true, told: true });
      expect(await moved(() => store().oidc.revokeByGrantId(grantId, revocation())), 'a repeat').to.deep.equal({ moved: true, told: true });
      expect(await moved(() => store().oidc.revokeByGrantId(`grant_${randomBase62(12)}`, revocation())))
        .to.deep.equal({ moved: false, told: false });
    });

    it('does not move for a grant without bound keys: no cache holds a grant, so its death drops none (issue 21, defect 7)', async () => {
      const grantId = `grant_${randomBase62(12)}`;
      await store().oidc.upsert('Grant', grantId, { accountId: 'user_x', clientId: 'client_x', exp: Math.floor(Date.now() / 1000) + 3600 }, 3600);
      expect(await moved(() => store().oidc.revokeByGrantId(grantId, revocation()))).to.deep.equal({ moved: false, told: false });
    });

    it('revokes what a revoked key created, and theirs, in the same call, each with its event; not expired ones, and nothing from a dead key', async () => {
      const root = newApiKey(accountId);
      const child = newApiKey(accountId, { createdBy: `api_key:${root.id}` });
      const grandchild = newApiKey(accountId, { createdBy: `api_key:${child.id}` });
      const expired = newApiKey(accountId, { createdBy: `api_key:${root.id}`, expiresAt: new Date(Date.now() - 1000) });
      for (const k of [root, child, grandchild, expired]) await store().createApiKey(k, auditEvent(accountId, 'api_key.created', k.id));
      expect(await store().revokeApiKey(root.id, new Date(), 'leaked', auditEvent(accountId, 'api_key.revoked', root.id))).to.equal(true);
      expect((await store().findApiKey(child.id))?.revokedReason).to.equal(`created by revoked key ${root.id}`);
      expect((await store().findApiKey(grandchild.id))?.revokedReason).to.equal(`created by revoked key ${root.id}`);
      expect((await store().findApiKey(expired.id))?.revokedAt, 'an expired child is left as it is').to.equal(undefined);
      const events = await store().listTargetEvents(accountId, grandchild.id, { limit: 5 });
      expect(events[0]).to.deep.include({ action: 'api_key.revoked', reason: `created by revoked key ${root.id}` });

      expect(await store().revokeApiKey(root.id, new Date(), 'again', auditEvent(accountId, 'api_key.revoked', root.id))).to.equal(false);
      // A dead key creates nothing more: a creation racing its revocation loses (issue 21, defect 3).
      const late = newApiKey(accountId, { createdBy: `api_key:${root.id}` });
      let refused: unknown;
      try {
        await store().createApiKey(late, auditEvent(accountId, 'api_key.created', late.id));
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(CreatorGoneError);
      expect(await store().findApiKey(late.id)).to.equal(undefined);
      let client: unknown;
      try {
        await store().createClient(newClient(accountId, { createdBy: `api_key:${root.id}` }), undefined);
      } catch (err) {
        client = err;
      }
      expect(client, 'a client made by a dead key').to.be.instanceOf(CreatorGoneError);
      let bound: unknown;
      try {
        const orphan = newApiKey(accountId, { grantId: `grant_${randomBase62(12)}` });
        await store().createApiKey(orphan, auditEvent(accountId, 'api_key.created', orphan.id));
      } catch (err) {
        bound = err;
      }
      expect(bound, 'a key bound to a grant that is gone').to.be.instanceOf(CreatorGoneError);
    });

    it('moves when a client is edited or deleted, and not for a client that does not exist', async () => {
      const client = newClient(accountId);
      await store().createClient(client, undefined);
      const edited = { ...client, name: 'Renamed', revision: client.revision + 1 };
      expect(await moved(() => store().updateClient(edited, client.revision, auditEvent(accountId, 'client.updated', client.id))))
        .to.deep.equal({ moved: true, told: true });
      expect(await moved(() => store().deleteClient(client.id, auditEvent(accountId, 'client.deleted', client.id))))
        .to.deep.equal({ moved: true, told: true });
      const unknown = `client_${randomBase62(12)}`;
      expect(await moved(() => store().deleteClient(unknown, auditEvent(accountId, 'client.deleted', unknown))))
        .to.deep.equal({ moved: false, told: false });
    });
  });
}
