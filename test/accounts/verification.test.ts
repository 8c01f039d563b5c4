// Verified addresses (issue 22, item 2): until the mailed link is used, the account may use test
// credentials only, in the portal and the management API alike; the link is single use and the
// portal can send a new one; the CLI's accounts start confirmed.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { cli } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { confirmAddress, form, linkFromDevMailbox, newOwner, postNewKey, shownKey, signedUp } from '../portal/helpers.ts';

describe('verified addresses', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('an unconfirmed account creates test keys but no live key, in the portal and through /v1 alike', async () => {
    const { browser, home, owner } = await signedUp(server.issuer, newOwner('Unconfirmed Co'), { confirm: false });
    expect(home.html).to.include('Confirm your email address').and.include('Send the link again');

    const test = await postNewKey(browser, home, { name: 'Test key', environment: 'test' });
    expect(shownKey(pageOf(await browser.navigate(new URL(test.headers.get('location')!, server.issuer).href, 'nowhere:')).html)).to.match(/^sk_test_/);

    const live = await postNewKey(browser, home, { name: 'Live key', environment: 'live', confirm_live: 'yes' });
    expect(live.status).to.equal(400);
    expect(live.html).to.match(/<p class="field-error" id="environment-error">Confirm your email address before creating or changing a live API key/);
    const csrf = form(home, '/portal/logout-everywhere').fields._csrf!;
    const api = await browser.request(`${server.issuer}/v1/api-keys`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ environment: 'live', scopes: ['read:contacts'], name: 'Live by API' }),
    });
    expect(api.status).to.equal(403);
    expect((JSON.parse(api.html) as { error: { code: string } }).error.code).to.equal('email_unverified');
    const user = await server.latchkey.store.findUserByEmail(owner.email);
    expect((await server.latchkey.store.listApiKeys(user!.accountId)).map((k) => k.environment)).to.deep.equal(['test']);

    // Confirmed from the mailed link: live keys are allowed, and the notice is gone.
    await confirmAddress(browser, server.issuer, owner.email);
    const after = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    expect(after.html).not.to.include('Send the link again');
    const allowed = await postNewKey(browser, after, { name: 'Live key', environment: 'live', confirm_live: 'yes' });
    expect(allowed.status).to.equal(303);
  });

  it('a link works once; a new one can be sent; using one ends the others', async () => {
    const { browser, home, owner } = await signedUp(server.issuer, newOwner('Relinked Co'), { confirm: false });
    const first = await linkFromDevMailbox(browser, server.issuer, owner.email, '/portal/verify');
    const resent = pageOf(await browser.submit(form(home, '/portal/verify/resend'), {}, 'nowhere:'));
    expect(resent.html).to.include('We sent a new confirmation link');
    const second = await linkFromDevMailbox(browser, server.issuer, owner.email, '/portal/verify');
    expect(second).not.to.equal(first);

    const page = pageOf(await browser.navigate(second, 'nowhere:'));
    expect(new URL(page.url).search, 'the token leaves the address bar').to.equal('');
    const done = pageOf(await browser.submit(form(page, '/portal/verify'), {}, 'nowhere:'));
    expect(done.html).to.include('Address confirmed');
    for (const used of [first, second]) {
      const again = pageOf(await new Browser().navigate(used, 'nowhere:'));
      expect(again.status, 'used, or ended by its sibling').to.equal(400);
      expect(again.html).to.include('This link cannot be used');
    }
    const garbage = pageOf(await new Browser().navigate(`${server.issuer}/portal/verify?link=${'x'.repeat(500)}`, 'nowhere:'));
    expect(garbage.status).to.equal(400);
  });

  it('an account made with the CLI starts confirmed: the operator vouches for it', async () => {
    const email = `cli.${Date.now()}@example.com`;
    const made = await cli(['account', 'create', '--name', 'CLI Verified Co', '--email', email, '--password', 'a long enough password', '--json'],
      server.cliEnv);
    expect(made.code, made.stderr).to.equal(0);
    expect((await server.latchkey.store.findUserByEmail(email))?.emailVerifiedAt).to.be.instanceOf(Date);
  });
});
