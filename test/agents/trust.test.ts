// Trust tiers (issue 24, item 5): an app registered openly is unverified. It may ask only for the
// self-serve scopes, and its new authorizations are capped per day (here 1, through
// LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT). The operator verifies it with the CLI (audited),
// after which it may ask for every scope its type allows, with no cap, and takes it back the same way.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { forgetAgent } from '../../server/agents/registry.ts';
import { OPERATOR_ACCOUNT_ID } from '../../server/clients/resource-servers.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { cliJson } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CALLBACK = 'http://127.0.0.1:41400/callback';

describe('trust tiers of apps nobody registered', function () {
  this.timeout(30_000);
  let server: TestServer;
  let cliEnv: Record<string, string | undefined>;
  let app: WebApp;
  before(async () => {
    server = await startServer({ env: { LATCHKEY_REGISTRATION: 'open', LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT: '1' } });
    cliEnv = server.cliEnv;
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Tiered Agent', redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none' }),
    });
    const body = await registered.json() as { client_id: string; scope: string };
    expect(body.scope.split(' ').sort(), 'the answer says what it may ask for now').to.deep.equal(['offline_access', 'openid', 'read:contacts', 'read:events']);
    app = { as: await discover(server.issuer), clientId: body.client_id, clientSecret: '', redirectUri: CALLBACK };
  });
  after(() => server?.stop({ removeData: true }));

  /** A new user signs in and allows the scopes; the callback (a code, or an error). */
  async function authorizeNewUser(scope: string): Promise<{ callback: URL; consentHtml: string; verifier: string; state: string }> {
    const user = await server.createUser('Tier Users Co');
    const { url, verifier, state } = await startAuthorization(app, scope);
    const browser = new Browser();
    const login = pageOf(await browser.navigate(url.href, CALLBACK));
    const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, CALLBACK));
    const callback = await browser.submit(Browser.forms(consent)[0]!, {}, CALLBACK) as URL;
    return { callback, consentHtml: consent.html, verifier, state };
  }

  it('caps an unverified app\'s new authorizations per day', async () => {
    const first = await authorizeNewUser('read:contacts');
    expect(first.consentHtml).to.include('Unverified app');
    expect(first.callback.searchParams.get('code')).to.be.a('string');
    const second = await authorizeNewUser('read:contacts');
    expect(second.callback.searchParams.get('error')).to.equal('temporarily_unavailable');
    expect(second.callback.searchParams.get('error_description')).to.include('limit of 1 new authorizations today');
    const listed = await cliJson(['agent', 'list'], cliEnv) as { data: Record<string, unknown>[] };
    expect(listed.data.find((agent) => agent.client_id === app.clientId)).to.include({ source: 'registration', trust: 'unverified', authorizations_today: 2 });
  });

  it('once the operator verifies it, it may ask for more, uncapped; taking the verification back narrows it again', async () => {
    const greedy = await startAuthorization(app, 'read:contacts write:contacts');
    expect((await new Browser().navigate(greedy.url.href, CALLBACK) as URL).searchParams.get('error')).to.equal('invalid_scope');

    // Its sighting gone (not seen for a month): the stored registration is enough to verify it.
    await forgetAgent(server.latchkey.store, app.clientId);
    const verified = await cliJson(['agent', 'verify', app.clientId], cliEnv);
    expect(verified).to.include({ client_id: app.clientId, trust: 'verified', verified_by: 'operator' });
    const events = await server.latchkey.store.listTargetEvents(OPERATOR_ACCOUNT_ID, app.clientId, { limit: 10 });
    expect(events.map((e) => e.action)).to.include('agent.verified');

    const { callback, consentHtml, verifier, state } = await authorizeNewUser('read:contacts write:contacts');
    expect(consentHtml).to.not.include('Unverified app');
    const client = { client_id: app.clientId, token_endpoint_auth_method: 'none' };
    const params = oauth.validateAuthResponse(app.as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(app.as, client,
      await oauth.authorizationCodeGrantRequest(app.as, client, oauth.None(), params, CALLBACK, verifier, insecure));
    expect(tokens.scope?.split(' ').sort()).to.deep.equal(['read:contacts', 'write:contacts']);

    expect(await cliJson(['agent', 'unverify', app.clientId], cliEnv)).to.include({ trust: 'unverified' });
    const again = await startAuthorization(app, 'read:contacts write:contacts');
    expect((await new Browser().navigate(again.url.href, CALLBACK) as URL).searchParams.get('error')).to.equal('invalid_scope');
    expect((await server.latchkey.store.listTargetEvents(OPERATOR_ACCOUNT_ID, app.clientId, { limit: 10 })).map((e) => e.action)).to.include('agent.unverified');
  });

  describe('the cap per redirect host', () => {
    let hostServer: TestServer;
    before(async () => {
      hostServer = await startServer({ env: { LATCHKEY_REGISTRATION: 'open', LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_HOST: '1' } });
    });
    after(() => hostServer?.stop({ removeData: true }));

    it('counts every unverified app sending users back to one web host together', async () => {
      const redirectUri = 'https://agents.example.com/callback';
      const answers: string[] = [];
      for (const name of ['First Host Agent', 'Second Host Agent']) {
        const registered = await fetch(`${hostServer.issuer}/reg`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
        });
        const { client_id: clientId } = await registered.json() as { client_id: string };
        const hostApp: WebApp = { as: await discover(hostServer.issuer), clientId, clientSecret: '', redirectUri };
        const user = await hostServer.createUser('Host Cap Co');
        const { url } = await startAuthorization(hostApp, 'read:contacts');
        const browser = new Browser();
        const login = pageOf(await browser.navigate(url.href, redirectUri));
        const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, redirectUri));
        const callback = await browser.submit(Browser.forms(consent)[0]!, {}, redirectUri) as URL;
        answers.push(callback.searchParams.get('code') ? 'code' : `${callback.searchParams.get('error')}: ${callback.searchParams.get('error_description')}`);
      }
      expect(answers[0]).to.equal('code');
      expect(answers[1]).to.match(/^temporarily_unavailable: .*agents\.example\.com .*limit of 1 new authorizations today/);
    });
  });
});
