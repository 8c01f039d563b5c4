// A client deletion that stops after its first step (a crash, a lost primary) is finished by the
// sweep: its grants and what it created go, and the client.deleted event is written (issue 21,
// defect 1). MongoDB only: the embedded store deletes in one transaction. Runs when MONGODB_URI is set.
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { randomBase62 } from '../../server/secrets.ts';
import { auditEvent, newAccount, newApiKey, newClient } from './contract/fixtures.ts';

describe('MongoDB: an interrupted client deletion', function () {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    it('runs only when MONGODB_URI is set (for example MONGODB_URI=mongodb://127.0.0.1:27017/?replicaSet=rs0 npm test)');
    return;
  }
  this.timeout(30_000);

  it('is finished by the sweep: grants revoked, keys it made revoked, the client gone, the event written', async () => {
    const { MongoStore } = await import('../../adapters/mongodb/index.ts');
    const database = `latchkey_deletion_${randomBase62(8)}`;
    const store = await MongoStore.connect(uri, database);
    const raw = await MongoClient.connect(uri);
    try {
      const { accountId } = await newAccount(store);
      const client = newClient(accountId);
      await store.createClient(client, undefined);
      const grantId = `grant_${randomBase62(12)}`;
      await store.oidc.upsert('Grant', grantId, { accountId: 'user_x', clientId: client.id, exp: Math.floor(Date.now() / 1000) + 3600 }, 3600);
      const made = newApiKey(accountId, { createdBy: `client:${client.id}` });
      await store.createApiKey(made, auditEvent(accountId, 'api_key.created', made.id));

      // Step 1 alone, as a crash right after it leaves it.
      await raw.db(database).collection('clients').updateOne({ _id: client.id as unknown as never }, { $set: { deletedAt: new Date() } });
      expect(await store.findClient(client.id), 'hidden from every read').to.equal(undefined);

      await store.sweepExpired();
      expect(await raw.db(database).collection('clients').findOne({ _id: client.id as unknown as never })).to.equal(null);
      expect(await store.oidc.find('Grant', grantId)).to.equal(undefined);
      expect((await store.findApiKey(made.id))?.revokedAt).to.be.instanceOf(Date);
      const events = await store.listTargetEvents(accountId, client.id, { limit: 5 });
      expect(events.map((e) => e.action)).to.include('client.deleted');
    } finally {
      await store.dropDatabase();
      await store.close();
      await raw.close();
    }
  });
});
