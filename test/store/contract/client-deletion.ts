// Contract: deleting a client ends everything it let anyone do: its grants die through the grant
// revocation path (tombstones say client_deleted), the keys it created are revoked, it and its logo go.
import { expect } from 'chai';
import { CLIENT_DELETED_KEY_REASON } from '../../../adapters/client-lifecycle.ts';
import type { ClientRecord, Store } from '../../../adapters/contract.ts';
import { auditEvent, id, newAccount, newApiKey, newClient } from './fixtures.ts';

const now = () => Math.floor(Date.now() / 1000);

export function clientDeletionContract(store: () => Store): void {
  describe('client deletion', () => {
    let partner: string;
    let customer: string;
    let userId: string;
    before(async () => {
      partner = (await newAccount(store(), 'Partner')).accountId;
      ({ accountId: customer, userId } = await newAccount(store(), 'Customer'));
    });

    async function clientWithLogo(): Promise<ClientRecord> {
      const client = newClient(partner, { logoDigest: 'd' });
      await store().createClient(client, auditEvent(partner, 'client.created', client.id), { contentType: 'image/gif', bytes: new Uint8Array([1]) });
      return client;
    }

    /** A grant the customer's user gave the client, with two refresh tokens (one spent) and a code. */
    async function grantOf(clientId: string) {
      const grantId = id('grant');
      const tokens = [id('rt'), id('rt')];
      await store().oidc.upsert('Grant', grantId, { accountId: userId, clientId, exp: now() + 3600 }, 3600);
      for (const token of tokens) await store().oidc.upsert('RefreshToken', token, { grantId, accountId: userId, clientId, iat: now() }, 600);
      await store().oidc.consume('RefreshToken', tokens[0]!);
      await store().oidc.upsert('AuthorizationCode', id('code'), { grantId, accountId: userId, clientId }, 60);
      return { grantId, tokens };
    }

    async function keyCreatedBy(createdBy: string, overrides: { revokedAt?: Date } = {}) {
      const key = newApiKey(partner, { createdBy, ...overrides, revokedReason: overrides.revokedAt ? 'earlier' : undefined });
      await store().createApiKey(key, auditEvent(partner, 'api_key.created', key.id));
      return key;
    }

    it('revokes its grants and the keys it created, deletes it and its logo, records client.deleted; once', async () => {
      const client = await clientWithLogo();
      const other = await clientWithLogo();
      const grants = [await grantOf(client.id), await grantOf(client.id)];
      const bystander = await grantOf(other.id);
      const own = await keyCreatedBy(`client:${client.id}`);
      const alreadyRevoked = await keyCreatedBy(`client:${client.id}`, { revokedAt: new Date(Date.now() - 1000) });
      const others = [await keyCreatedBy(`client:${other.id}`), await keyCreatedBy('cli'), await keyCreatedBy(`user:${userId} via client:${client.id}`)];

      const event = auditEvent(partner, 'client.deleted', client.id, { actor: 'user:user_owner', detail: { name: client.name } });
      expect(await store().deleteClient(client.id, event)).to.equal(true);

      expect(await store().findClient(client.id)).to.equal(undefined);
      expect((await store().listClients(partner)).map((c) => c.id)).to.not.include(client.id);
      expect(await store().findClientLogo(client.id)).to.equal(undefined);
      for (const { grantId, tokens } of grants) {
        expect(await store().oidc.find('Grant', grantId)).to.equal(undefined);
        for (const token of tokens) {
          expect(await store().oidc.find('RefreshToken', token), 'refresh token record gone').to.equal(undefined);
          expect(await store().oidc.findTombstone(token)).to.deep.include({ reason: 'client_deleted', grantId, clientId: client.id });
        }
        const revoked = (await store().listTargetEvents(partner, grantId, { limit: 5 })).map((e) => [e.action, e.actor, e.reason]);
        expect(revoked, 'in the partner account').to.deep.equal([['grant.revoked', 'user:user_owner', 'client_deleted']]);
        expect(await store().listTargetEvents(customer, grantId, { limit: 5 }), "and in the user's").to.have.length(1);
      }
      expect(await store().oidc.find('Grant', bystander.grantId), "another client's grant").to.not.equal(undefined);
      expect(await store().oidc.findTombstone(bystander.tokens[1]!)).to.equal(undefined);
      expect(await store().findClient(other.id)).to.deep.equal(other);

      const ownAfter = await store().findApiKey(own.id);
      expect(ownAfter?.revokedAt?.getTime()).to.equal(event.at.getTime());
      expect(ownAfter?.revokedReason).to.equal(CLIENT_DELETED_KEY_REASON);
      const keyEvents = await store().listTargetEvents(partner, own.id, { limit: 5 });
      expect(keyEvents.map((e) => [e.action, e.actor, e.reason])).to.deep.equal([
        ['api_key.revoked', 'user:user_owner', CLIENT_DELETED_KEY_REASON], ['api_key.created', 'cli', undefined],
      ]);
      expect((await store().findApiKey(alreadyRevoked.id))?.revokedReason, 'a revoked key keeps its reason').to.equal('earlier');
      expect(await store().listTargetEvents(partner, alreadyRevoked.id, { limit: 5 })).to.have.length(1);
      for (const key of others) expect((await store().findApiKey(key.id))?.revokedAt, key.createdBy).to.equal(undefined);

      expect(await store().listTargetEvents(partner, client.id, { limit: 5 })).to.deep.include(event);
      expect(await store().deleteClient(client.id, auditEvent(partner, 'client.deleted', client.id)), 'a second delete').to.equal(false);
      expect((await store().listTargetEvents(partner, client.id, { limit: 5 })).filter((e) => e.action === 'client.deleted')).to.have.length(1);
      expect(await store().deleteClient(id('client'), auditEvent(partner, 'client.deleted', 'x')), 'no such client').to.equal(false);
    });

    it('lets one of two parallel deletions succeed', async () => {
      const client = await clientWithLogo();
      await grantOf(client.id);
      const results = await Promise.all([1, 2].map(() => store().deleteClient(client.id, auditEvent(partner, 'client.deleted', client.id))));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store().findClient(client.id)).to.equal(undefined);
      expect((await store().listTargetEvents(partner, client.id, { limit: 5 })).filter((e) => e.action === 'client.deleted')).to.have.length(1);
    });

    it('refuses to edit a deleted client', async () => {
      const client = await clientWithLogo();
      await store().deleteClient(client.id, auditEvent(partner, 'client.deleted', client.id));
      expect(await store().updateClient({ ...client, revision: 2 }, 1, auditEvent(partner, 'client.updated', client.id))).to.equal(false);
      expect(await store().findClient(client.id)).to.equal(undefined);
    });
  });
}
