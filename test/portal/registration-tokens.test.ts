// Registration tokens in the portal (issue 24, item 3, LATCHKEY_REGISTRATION=token): a member makes
// one on the OAuth apps page, sees it once after the redirect, and an app registers itself with it
// as an app of that account, in the token's environment. The making is audited, never the token.
// Under any other policy the page offers nothing and the form's address answers 404.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from './helpers.ts';

const register = (server: TestServer, token: string) => fetch(`${server.issuer}/reg`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ client_name: 'Self Registered', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' }),
});

describe('registration tokens in the portal', function () {
  this.timeout(20_000);

  describe('LATCHKEY_REGISTRATION=token', () => {
    let server: TestServer;
    before(async () => { server = await startServer({ env: { LATCHKEY_REGISTRATION: 'token' } }); });
    after(() => server?.stop({ removeData: true }));

    it('makes a token shown once, with which an app registers itself into the account', async () => {
      const owner = await server.createUser('Token Makers Co');
      const browser = new Browser();
      await signInToPortal(browser, server.issuer, owner);
      const apps = pageOf(await browser.navigate(`${server.issuer}/portal/apps`, 'nowhere:'));
      expect(apps.html).to.include('Let an app register itself').and.include(`${server.issuer}/reg`);
      const shown = pageOf(await browser.submit(form(apps, '/portal/apps/registration-tokens'), { environment: 'live' }, 'nowhere:'));
      const token = /id="new-registration-token"[^>]*>([\w-]{40,})</.exec(shown.html)?.[1];
      expect(token, 'the token, on the page after the redirect').to.be.a('string');
      recordSecret(token);
      expect(shown.html).to.include('Your new live registration token');
      const again = pageOf(await browser.navigate(`${server.issuer}/portal/apps`, 'nowhere:'));
      expect(again.html, 'shown once').to.not.include(token!);

      const registered = await register(server, token!);
      expect(registered.status).to.equal(201);
      const { client_id: clientId } = await registered.json() as { client_id: string };
      expect(clientId).to.match(/^client_live_/);
      expect(await server.latchkey.store.findClient(clientId)).to.include({ accountId: owner.accountId, environment: 'live' });
      const events = await server.latchkey.store.listAuditEvents(owner.accountId, 10);
      const made = events.find((e) => e.action === 'registration_token.created');
      expect(made).to.include({ actor: `user:${owner.userId}` });
      expect(JSON.stringify(events)).to.not.include(token!);
    });
  });

  describe('LATCHKEY_REGISTRATION=open', () => {
    let server: TestServer;
    before(async () => { server = await startServer({ env: { LATCHKEY_REGISTRATION: 'open' } }); });
    after(() => server?.stop({ removeData: true }));

    it('offers no registration tokens', async () => {
      const owner = await server.createUser('No Tokens Co');
      const browser = new Browser();
      const home = await signInToPortal(browser, server.issuer, owner);
      const apps = pageOf(await browser.navigate(`${server.issuer}/portal/apps`, 'nowhere:'));
      expect(apps.html).to.not.include('registration-tokens');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(home.html)?.[1] ?? '';
      const posted = await browser.request(`${server.issuer}/portal/apps/registration-tokens`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, environment: 'test' }).toString(),
      });
      expect(posted.status).to.equal(404);
    });
  });
});
