// oidc-provider's Client objects are found by the cached client record (server/oidc/client-lookup.ts):
// while the record is cached, a token request reads no client metadata through the adapter; a
// change to the client makes a new record, and with it a new Client.
import { expect } from 'chai';
import type { ClientRecord } from '../../adapters/contract.ts';
import { clientCredentials, discover, type oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('client objects', () => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;

  before(async () => {
    server = await startServer();
    as = await discover(server.issuer);
  });
  after(() => server.stop({ removeData: true }));

  it('builds a client once per version of its record', async () => {
    const { accountId } = await server.createUser('Objects Co');
    const { clientId, clientSecret } = await server.createClient({ accountId, name: 'Reused', type: 'service', scopes: 'read:contacts' });
    const adapter = (server.latchkey.provider.Client as unknown as { adapter: { find(id: string): Promise<unknown> } }).adapter;
    const find = adapter.find.bind(adapter);
    const reads: string[] = [];
    adapter.find = (id) => { reads.push(id); return find(id); };
    try {
      await clientCredentials(as, clientId, clientSecret, 'read:contacts');
      const first = reads.length;
      const client = await server.latchkey.provider.Client.find(clientId);
      for (let i = 0; i < 3; i += 1) await clientCredentials(as, clientId, clientSecret, 'read:contacts');
      expect(reads.length, 'reads after the first request').to.equal(first);
      expect(await server.latchkey.provider.Client.find(clientId)).to.equal(client);

      const stored = (await server.latchkey.store.findClient(clientId))!;
      const renamed: ClientRecord = { ...stored, name: 'Renamed', revision: stored.revision + 1 };
      const event = { id: `evt_objects${Date.now()}`, accountId, actor: 'system', action: 'client.updated', targetId: clientId, reason: undefined, at: new Date() };
      expect(await server.latchkey.store.updateClient(renamed, stored.revision, event)).to.equal(true);
      await clientCredentials(as, clientId, clientSecret, 'read:contacts');
      expect(reads.length, 'a read after the change').to.equal(first + 1);
      const rebuilt = await server.latchkey.provider.Client.find(clientId);
      expect(rebuilt).not.to.equal(client);
      expect(rebuilt?.clientName).to.equal('Renamed');
    } finally {
      adapter.find = find;
    }
  });

  it('reads the store once for a client_id nobody has (not twice: cache, then oidc-provider)', async () => {
    const store = server.latchkey.store;
    const findClient = store.findClient.bind(store);
    const unknown = `cl_unknown${Date.now()}`;
    let reads = 0;
    store.findClient = (id) => {
      if (id === unknown) reads += 1;
      return findClient(id);
    };
    try {
      const response = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${unknown}:whatever`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=read:contacts',
      });
      expect(response.status).to.equal(401);
      expect((await response.json() as { error: string }).error).to.equal('invalid_client');
      expect(reads).to.equal(1);
    } finally {
      store.findClient = findClient;
    }
  });
});
