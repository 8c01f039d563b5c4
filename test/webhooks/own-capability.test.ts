// Webhooks as their own capability (issue 25, item 2): with the Partner API demo off
// (LATCHKEY_PARTNER_API=off, a child process: the catalog is read once per process), a member adds a
// webhook for api_key.revoked in the portal, sees its secret once, and a revocation reaches the
// endpoint signed with it (verified with standardwebhooks). A test event reaches it too; the portal
// shows what was sent and the start of the answer, and sends a delivery again on request (same
// webhook-id). /v1/webhooks lists it for a key holding write:webhooks; /api/v1/webhooks is gone.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { startChild, dropChildDatabase, type Child } from '../catalog/child.ts';
import { call } from '../helpers/api.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { form } from '../portal/helpers.ts';
import { startReceiver, verified, type Receiver } from './receiver.ts';

describe('webhooks without the Partner API', function () {
  this.timeout(60_000);
  let latchkey: Child;
  let receiver: Receiver;
  let accountId: string;
  const user = { email: `hooks.${Date.now()}@example.com`, password: 'correct horse battery staple 25' };
  before(async () => {
    latchkey = await startChild({ LATCHKEY_PARTNER_API: 'off', LATCHKEY_WEBHOOK_POLL: '100ms' });
    receiver = await startReceiver();
    accountId = (await latchkey.latchkey(['account', 'create', '--name', 'Hooks Only Co', '--email', user.email, '--password', user.password])).account_id!;
  });
  after(async () => {
    await receiver?.close();
    await latchkey?.stop();
    await dropChildDatabase(latchkey);
  });

  const portal = (browser: Browser, path: string) => browser.navigate(`${latchkey.issuer}${path}`, 'nowhere:').then(pageOf);

  it('a webhook added in the portal receives a verified api_key.revoked, a test event, and a delivery sent again', async () => {
    const browser = new Browser();
    const login = await portal(browser, '/portal/login');
    pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    const empty = await portal(browser, '/portal/webhooks');
    expect(empty.html).to.include('api_key.revoked').and.not.include('contact.created');

    // A form with errors keeps what was entered and says what to correct, above the form.
    const refused = pageOf(await browser.submit(form(empty, '/portal/webhooks'), { url: 'ftp://nope', environment: 'test', events: '' }, 'nowhere:'));
    expect(refused.status).to.equal(400);
    const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(refused.html)?.[0] ?? refused.html.slice(0, 2000);
    expect(summary).to.include('class="error-summary" role="alert"').and.include('href="#webhook-url"').and.include('Choose at least one event.');
    expect(refused.html, 'what was entered is kept').to.include('value="ftp://nope"');

    const added = pageOf(await browser.submit(form(empty, '/portal/webhooks'), {
      url: receiver.url, environment: 'test', events: 'api_key.revoked', description: 'Security desk',
    }, 'nowhere:'));
    const secret = /id="webhook-secret"[^>]*>(whsec_[^<]+)</.exec(added.html)?.[1];
    expect(secret, 'the signing secret, shown once').to.be.a('string');
    recordSecret(secret);
    expect((await portal(browser, '/portal/webhooks')).html, 'shown once').to.not.include(secret!);

    const key = await latchkey.latchkey(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'read:api_keys write:webhooks']);
    recordSecret(key.key);
    const other = await latchkey.latchkey(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'read:api_keys']);
    recordSecret(other.key);
    await latchkey.latchkey(['key', 'revoke', other.id!]);
    const [delivery] = await receiver.waitFor(1);
    const payload = verified(secret!, delivery!);
    expect(payload.type).to.equal('api_key.revoked');
    expect(payload.data.api_key_id).to.equal(other.id);

    const page = await portal(browser, '/portal/webhooks');
    pageOf(await browser.submit(form(page, `/portal/webhooks/${webhookIdOf(page)}/test`), {}, 'nowhere:'));
    const [, test] = await receiver.waitFor(2);
    expect(verified(secret!, test!)).to.deep.include({ type: 'webhook.test' });

    const logged = await waitForLog(browser, 2);
    expect(logged.html).to.include('Request and response').and.include('&#34;api_key_id&#34;').and.include('ok');
    const again = Browser.forms(logged).find((f) => f.action.endsWith('/redeliver'));
    pageOf(await browser.submit(again!, {}, 'nowhere:'));
    const [, , resent] = await receiver.waitFor(3);
    expect([delivery, test].map((r) => r!.headers['webhook-id']), 'the same delivery, sent again').to.include(resent!.headers['webhook-id']);

    const listed = await call(latchkey.issuer, 'GET', '/v1/webhooks', key.key);
    expect(listed.status).to.equal(200);
    expect((listed.body.data as { url: string; environment: string }[]).map((w) => [w.url, w.environment])).to.deep.equal([[receiver.url, 'test']]);
    expect((await call(latchkey.issuer, 'GET', '/api/v1/webhooks', key.key)).status).to.equal(404);
  });

  function webhookIdOf(page: Page): string {
    return /<section class="panel webhook" id="(wh_[^"]+)"/.exec(page.html)![1]!;
  }

  /** The webhooks page once it lists `count` finished deliveries. */
  async function waitForLog(browser: Browser, count: number): Promise<Page> {
    for (let attempt = 0; ; attempt += 1) {
      const page = await portal(browser, '/portal/webhooks');
      if ((page.html.match(/Send again/g) ?? []).length >= count || attempt === 50) return page;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});
