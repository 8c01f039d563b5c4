// Contract: the leak intake's store side. A client is found by the hash of any secret it still lists
// (newest, overlapping, revoked), and no longer once the secret is pruned or the client deleted.
import { expect } from 'chai';
import type { Store } from '../../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';
import { auditEvent, newAccount, newClient, second, secretRecord } from './fixtures.ts';

export function leakContract(store: () => Store): void {
  describe('leak reports and clients by secret hash', () => {
    let accountId: string;
    before(async () => { ({ accountId } = await newAccount(store())); });

    it('finds the client by its newest, an overlapping and a revoked secret; not by an unknown hash', async () => {
      const revoked = secretRecord({ revokedAt: second(), revokedReason: 'reported_leaked', expiresAt: second(60_000) });
      const overlapping = secretRecord({ expiresAt: second(60_000) });
      const newest = secretRecord();
      const client = newClient(accountId, { secrets: [newest, overlapping, revoked], secretHash: newest.hash });
      await store().createClient(client, undefined);
      for (const secret of [newest, overlapping, revoked]) {
        expect(await store().findClientBySecretHash(secret.hash), secret.id).to.deep.equal(client);
      }
      expect(await store().findClientBySecretHash(randomBase62(43))).to.equal(undefined);
    });

    it('follows the client: a rotated-in secret is found, a pruned one no longer, none after deletion', async () => {
      const client = newClient(accountId);
      await store().createClient(client, undefined);
      const old = client.secrets[0]!;
      const fresh = secretRecord();
      const next = { ...client, secrets: [fresh], secretHash: fresh.hash, revision: 2 };
      expect(await store().updateClient(next, 1, auditEvent(accountId, 'client.secret_rotated', client.id))).to.equal(true);
      expect((await store().findClientBySecretHash(fresh.hash))?.id).to.equal(client.id);
      expect(await store().findClientBySecretHash(old.hash), 'pruned').to.equal(undefined);
      expect(await store().updateClient({ ...next, secrets: [secretRecord()], revision: 2 }, 1,
        auditEvent(accountId, 'client.updated', client.id)), 'stale').to.equal(false);
      expect((await store().findClientBySecretHash(fresh.hash))?.id, 'a refused update changes nothing').to.equal(client.id);
      expect(await store().deleteClient(client.id, auditEvent(accountId, 'client.deleted', client.id))).to.equal(true);
      expect(await store().findClientBySecretHash(fresh.hash), 'deleted').to.equal(undefined);
    });

    it('records a leak report', async () => {
      await store().recordLeakReport({ id: generateSortableId('leak'), source: 'public', receivedAt: new Date(), reported: 3, matched: 1, origin: '192.0.2.1' });
      await store().recordLeakReport({ id: generateSortableId('leak'), source: 'github', receivedAt: new Date(), reported: 1, matched: 0, origin: undefined });
    });
  });
}
