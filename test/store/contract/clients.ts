// Contract: OAuth clients registered, edited (conditionally on their revision) and their logos.
// Deletion is in client-deletion.ts.
import { expect } from 'chai';
import { DuplicateError, type ClientLogo, type ClientRecord, type Store } from '../../../adapters/contract.ts';
import { auditEvent, id, newAccount, newClient, second, secretRecord } from './fixtures.ts';

const png = (...bytes: number[]): ClientLogo => ({ contentType: 'image/png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...bytes]) });

export function clientContract(store: () => Store): void {
  describe('clients', () => {
    let accountId: string;
    before(async () => { ({ accountId } = await newAccount(store())); });

    /** A client stored with its creation event; returns it. */
    async function created(overrides: Partial<ClientRecord> = {}, logo?: ClientLogo): Promise<ClientRecord> {
      const client = newClient(accountId, overrides);
      await store().createClient(client, auditEvent(accountId, 'client.created', client.id), logo);
      return client;
    }

    it('creates a client with its event and logo, and finds it with every field as stored', async () => {
      const logo = png(1, 2, 3);
      const client = newClient(accountId, { logoDigest: 'sha256-abc' });
      const event = auditEvent(accountId, 'client.created', client.id, { actor: 'user:user_x', detail: { name: 'Sync' } });
      await store().createClient(client, event, logo);
      expect(await store().findClient(client.id)).to.deep.equal(client);
      expect(await store().findClientLogo(client.id)).to.deep.equal(logo);
      expect(await store().listTargetEvents(accountId, client.id, { limit: 5 })).to.deep.equal([event]);
      expect(await store().findClient(id('client'))).to.equal(undefined);
      expect(await store().findClientLogo(id('client'))).to.equal(undefined);
    });

    it('round-trips a client without secret, homepage or logo, and secrets in every state', async () => {
      const keyOnly = await created({
        authMethod: 'private_key_jwt', secretHash: undefined, secrets: [], jwks: { keys: [{ kty: 'EC', crv: 'P-256' }] },
        homepageUrl: undefined, type: 'service', redirectUris: [], createdBy: 'cli',
      });
      expect(await store().findClient(keyOnly.id)).to.deep.equal(keyOnly);
      expect(await store().findClientLogo(keyOnly.id)).to.equal(undefined);
      const newest = secretRecord();
      const overlapping = secretRecord({ createdAt: second(-60_000), expiresAt: second(3_600_000) });
      const leaked = secretRecord({ createdAt: second(-120_000), revokedAt: second(-1000), revokedReason: 'reported leaked' });
      const rotated = await created({ secretHash: newest.hash, secrets: [newest, overlapping, leaked] });
      expect(await store().findClient(rotated.id)).to.deep.equal(rotated);
    });

    it('round-trips a resource server with its resource, kept through an edit', async () => {
      const server = await created({
        type: 'resource_server', scopes: [], redirectUris: [], homepageUrl: undefined, resource: 'https://orders.example.com', createdBy: 'cli',
      });
      expect(await store().findClient(server.id)).to.deep.equal(server);
      expect((await store().listClients(accountId)).find((c) => c.id === server.id)).to.deep.equal(server);
      const renamed = { ...server, name: 'Orders API', revision: 2 };
      expect(await store().updateClient(renamed, 1, auditEvent(accountId, 'client.updated', server.id))).to.equal(true);
      expect(await store().findClient(server.id)).to.deep.equal(renamed);
    });

    it('creates without an event (the CLI of old), and refuses a duplicate id changing nothing', async () => {
      const client = newClient(accountId);
      await store().createClient(client, undefined, png(1));
      expect(await store().listTargetEvents(accountId, client.id, { limit: 5 })).to.deep.equal([]);
      const again = auditEvent(accountId, 'client.created', client.id);
      try {
        await store().createClient({ ...newClient(accountId), id: client.id }, again, png(2));
        expect.fail('a duplicate id must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
      expect(await store().findClient(client.id)).to.deep.equal(client);
      expect(await store().findClientLogo(client.id), 'the logo of the refused client is not stored').to.deep.equal(png(1));
      expect(await store().listTargetEvents(accountId, client.id, { limit: 5 }), 'nor its event').to.deep.equal([]);
    });

    it("lists the account's clients oldest first, and only theirs", async () => {
      const own = (await newAccount(store())).accountId;
      const oldest = newClient(own, { createdAt: second(-2000) });
      const middle = newClient(own, { createdAt: second(-1000) });
      const newest = newClient(own);
      for (const client of [newest, oldest, middle]) await store().createClient(client, undefined);
      expect(await store().listClients(own)).to.deep.equal([oldest, middle, newest]);
      expect(await store().listClients(id('acct'))).to.deep.equal([]);
    });

    it('updates conditionally on the revision: a stale edit returns false and changes nothing', async () => {
      const client = await created({}, png(1));
      const fresh = secretRecord();
      const next: ClientRecord = {
        ...client, name: 'Sync 2', scopes: ['read:contacts'], redirectUris: ['https://app.example/cb2'], homepageUrl: undefined,
        secretHash: fresh.hash, secrets: [fresh, { ...client.secrets[0]!, expiresAt: second(86_400_000) }],
        updatedAt: second(5000), revision: 2,
      };
      const event = auditEvent(accountId, 'client.updated', client.id, { detail: { fields: 'name,scopes' } });
      expect(await store().updateClient(next, 1, event)).to.equal(true);
      expect(await store().findClient(client.id)).to.deep.equal(next);
      expect(await store().findClientLogo(client.id), 'no logo argument keeps the logo').to.deep.equal(png(1));

      const stale = { ...client, name: 'Lost edit', revision: 2 };
      const staleEvent = auditEvent(accountId, 'client.updated', client.id);
      expect(await store().updateClient(stale, 1, staleEvent, null), 'stale revision').to.equal(false);
      expect(await store().findClient(client.id)).to.deep.equal(next);
      expect(await store().findClientLogo(client.id)).to.deep.equal(png(1));
      const events = await store().listTargetEvents(accountId, client.id, { limit: 10 });
      // Sorted: two ids made in the same millisecond order by their random part.
      expect(events.map((e) => e.action).sort()).to.deep.equal(['client.created', 'client.updated']);
      expect(events.find((e) => e.action === 'client.updated')).to.deep.equal(event);

      const missing = newClient(accountId, { revision: 2 });
      expect(await store().updateClient(missing, 1, auditEvent(accountId, 'client.updated', missing.id)), 'no such client').to.equal(false);
      expect(await store().findClient(missing.id)).to.equal(undefined);
    });

    it('lets exactly one of two parallel edits of one revision win', async () => {
      const client = await created();
      const results = await Promise.all(['A', 'B'].map((name) => store().updateClient(
        { ...client, name, revision: 2 }, 1, auditEvent(accountId, 'client.updated', client.id))));
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store().findClient(client.id))?.name).to.equal(results[0] ? 'A' : 'B');
      expect(await store().listTargetEvents(accountId, client.id, { limit: 10 })).to.have.length(2);
    });

    it('replaces a logo, then removes it', async () => {
      const client = await created({ logoDigest: 'd1' }, png(1));
      const webp = { ...client, logoDigest: 'd2', revision: 2 };
      expect(await store().updateClient(webp, 1, auditEvent(accountId, 'client.updated', client.id), { contentType: 'image/webp', bytes: new Uint8Array([9, 9]) })).to.equal(true);
      expect(await store().findClientLogo(client.id)).to.deep.equal({ contentType: 'image/webp', bytes: new Uint8Array([9, 9]) });
      const third = { ...webp, logoDigest: undefined, revision: 3 };
      expect(await store().updateClient(third, 2, auditEvent(accountId, 'client.updated', client.id), null)).to.equal(true);
      expect(await store().findClientLogo(client.id)).to.equal(undefined);
      expect(await store().findClient(client.id)).to.deep.equal(third);
      const fourth = { ...third, logoDigest: 'd4', revision: 4 };
      expect(await store().updateClient(fourth, 3, auditEvent(accountId, 'client.updated', client.id), png(4)), 'a logo added by an edit').to.equal(true);
      expect(await store().findClientLogo(client.id)).to.deep.equal(png(4));
    });

    it('refuses an update whose next revision is not the expected one plus one', async () => {
      const client = await created();
      let refused: unknown;
      try {
        await store().updateClient({ ...client, name: 'Skipped', revision: 5 }, 1, auditEvent(accountId, 'client.updated', client.id));
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(Error);
      expect(await store().findClient(client.id)).to.deep.equal(client);
    });
  });
}
