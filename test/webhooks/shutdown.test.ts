// Closing the server lets a send in flight finish and records it before the store closes: after a
// restart on the same data, the delivery is delivered and is not sent again.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer } from '../helpers/server.ts';
import { sleep, startReceiver } from './receiver.ts';

describe('webhook worker shutdown', function () {
  this.timeout(30_000);

  it('waits for the send in flight and records it', async () => {
    const receiver = await startReceiver();
    const env = { LATCHKEY_WEBHOOK_POLL: '100ms' };
    const first = await startServer({ env });
    try {
      const { pepper } = await loadKeyMaterial(first.latchkey.settings, first.latchkey.store, silentLogger);
      const { accountId } = await first.createUser();
      const { key } = await createKey(first.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:contacts', 'write:webhooks', 'read:contacts'], actor: 'cli' });
      recordSecret(key);
      const hook = await call(first.issuer, 'POST', '/api/v1/webhooks', key, { url: receiver.url, events: ['contact.created'] });
      recordSecret(String(hook.body.secret));
      receiver.delay = 800;
      await call(first.issuer, 'POST', '/api/v1/contacts', key, { name: 'Slow' });
      await receiver.waitFor(1);
      const started = Date.now();
      await first.stop();
      expect(Date.now() - started, 'close waited for the answer').to.be.at.least(500);

      receiver.delay = undefined;
      const second = await startServer({ env, dataDir: first.dataDir, mongodbDatabase: first.mongodbDatabase });
      try {
        await sleep(500);
        const [delivery] = await second.latchkey.store.listDeliveries(accountId, String(hook.body.id), { limit: 5 });
        expect(delivery).to.include({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
        expect(receiver.received).to.have.length(1);
      } finally {
        await second.stop({ removeData: true });
      }
    } finally {
      await receiver.close();
    }
  });
});
