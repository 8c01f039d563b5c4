// Edits never lose an update: two edits of different fields running at once both stay, every time
// (a retry after a revision conflict re-applies its own changes to the fresh record, never the
// values it first read).
import { expect } from 'chai';
import { getClient, updateClient } from '../../server/clients/service.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('parallel client edits', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  it('keeps both of 100 pairs of parallel edits of different fields (a rename beside a scope change)', async function () {
    this.timeout(60_000);
    const { clientId, accountId } = await server.createClient({ name: 'Pairs', type: 'service', scopes: 'read:contacts read:events' });
    const store = server.latchkey.store;
    for (let i = 0; i < 100; i += 1) {
      const read = await getClient(store, accountId, clientId);
      const scopes = i % 2 === 0 ? 'read:contacts' : 'read:contacts read:events';
      await Promise.all([
        updateClient(store, read, { name: `Pairs ${i}` }, 'cli'),
        updateClient(store, read, { scopes }, 'cli'),
      ]);
      const after = await getClient(store, accountId, clientId);
      expect(after.name, `pair ${i}`).to.equal(`Pairs ${i}`);
      expect(after.scopes.join(' '), `pair ${i}`).to.equal(scopes);
    }
  });
});
