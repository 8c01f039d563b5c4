// The portal's webhooks page: both environments' webhooks with their latest deliveries, never a secret.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form } from '../portal/helpers.ts';
import { startReceiver, type Receiver } from './receiver.ts';

describe('portal webhooks page', function () {
  this.timeout(30_000);
  let server: TestServer;
  let receiver: Receiver;
  before(async () => {
    server = await startServer({ env: { LATCHKEY_WEBHOOK_POLL: '100ms' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await server.stop({ removeData: true });
  });

  it('is for signed-in users only', async () => {
    const res = await fetch(`${server.issuer}/portal/webhooks`, { redirect: 'manual' });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location'), 'and back to the page after signing in').to.equal('/portal/login?return_to=%2Fportal%2Fwebhooks');
  });

  it('lists test and live webhooks with their deliveries', async () => {
    const user = await server.createUser('Hooked Co');
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const keys: Record<string, string> = {};
    for (const environment of ['test', 'live'] as const) {
      keys[environment] = (await createKey(server.latchkey.store, pepper, {
        accountId: user.accountId, environment, scopes: ['write:contacts', 'write:webhooks', 'read:contacts'], actor: 'cli',
      })).key;
      recordSecret(keys[environment]);
    }
    const made: Record<string, string> = {};
    for (const environment of ['test', 'live']) {
      const res = await call(server.issuer, 'POST', '/api/v1/webhooks', keys[environment], {
        url: `${receiver.url}?env=${environment}`, events: ['contact.created'], description: `${environment} hook`,
      });
      recordSecret(String(res.body.secret));
      made[environment] = String(res.body.secret);
    }
    await call(server.issuer, 'POST', '/api/v1/contacts', keys.test, { name: 'Ada' });
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    const page = pageOf(await browser.navigate(`${server.issuer}/portal/webhooks`, 'nowhere:'));
    expect(page.html).to.include('aria-current="page">Webhooks').and.include('test hook').and.include('live hook');
    const rows = [...page.html.matchAll(/<li class="delivery-row" id="(msg_[^"]+)">([\s\S]*?)<\/li>/g)].map((m) => m[2]!.replace(/<[^>]+>/g, ' '));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include('contact.created').and.include('Delivered').and.include('200');
    for (const secret of Object.values(made)) expect(page.html).not.to.include(secret.slice(6, 20));
  });
});
