// The operator's Agents page in Chromium (issue 24, item 5): an admin of the operator account
// (invited with the CLI) sees the apps that registered themselves, verifies one and blocks a host,
// each audited; axe-core finds no serious fault, and nothing breaks the portal's CSP. To a partner's
// member the page does not exist, and the nav does not offer it.
import { expect } from 'chai';
import type { Browser as Chromium } from 'playwright-core';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { OPERATOR_ACCOUNT_ID } from '../../server/clients/resource-servers.ts';
import { HAS_CHROMIUM, accessibilityViolations, launchChromium, openPage } from '../helpers/chromium.ts';
import { cliJson } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { linkFromDevMailbox, signInToPortal } from '../portal/helpers.ts';

/** The invitation link, once the server's mail worker has written the mail. */
async function invitationLink(issuer: string, email: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await linkFromDevMailbox(new Browser(), issuer, email, '/portal/invitation');
    } catch (err) {
      if (attempt === 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

(HAS_CHROMIUM ? describe : describe.skip)('the operator\'s Agents page in a real browser (Chromium)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let chromium: Chromium;
  let clientId: string;
  before(async () => {
    server = await startServer({ env: { LATCHKEY_REGISTRATION: 'open' } });
    chromium = await launchChromium();
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Console Agent', redirect_uris: ['https://agents.example.com/callback'], token_endpoint_auth_method: 'none' }),
    });
    clientId = (await registered.json() as { client_id: string }).client_id;
  });
  after(async () => {
    await chromium?.close();
    await server?.stop({ removeData: true });
  });

  it('an admin of the operator account verifies an app and blocks a host; a partner never sees the page', async () => {
    const env = server.cliEnv;
    const email = `operator.admin.${Date.now()}@example.com`;
    await cliJson(['member', 'invite', '--account', OPERATOR_ACCOUNT_ID, '--email', email, '--role', 'admin'], env);
    const { context, page, violations } = await openPage(chromium);
    await page.goto(await invitationLink(server.issuer, email));
    await page.fill('#password', `a patient heron over the marsh ${Date.now()}`);
    await Promise.all([page.waitForURL('**/portal/team?done=joined'), page.click('button[type=submit]')]);

    await Promise.all([page.waitForURL('**/portal/agents'), page.click('nav >> text=Agents')]);
    expect(await accessibilityViolations(page), 'the Agents page').to.deep.equal([]);
    const row = page.locator(`tr[data-client-id="${clientId}"]`);
    expect(await row.textContent()).to.include('Console Agent').and.include('agents.example.com').and.include('Unverified');
    await Promise.all([page.waitForURL('**/portal/agents?done=verified'), row.locator('button:has-text("Verify")').click()]);
    expect(await row.locator('.agent-trust').textContent()).to.include('Verified');

    await page.fill('#block-host', 'https://Agents.Example.com/anything');
    await Promise.all([page.waitForURL('**/portal/agents?done=blocked'), page.click('button:has-text("Block host")')]);
    expect(await page.textContent('.blocked-hosts')).to.include('agents.example.com');
    const events = await server.latchkey.store.listTargetEvents(OPERATOR_ACCOUNT_ID, 'agents.example.com', { limit: 5 });
    expect(events.map((e) => e.action)).to.deep.equal(['agent.host_blocked']);
    expect(events[0]!.actor).to.match(/^user:/);
    expect(violations).to.deep.equal([]);
    await context.close();

    // A new registration returning to the blocked host is refused, naming the field.
    const blockedRegistration = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Another', redirect_uris: ['https://agents.example.com/other'], token_endpoint_auth_method: 'none' }),
    });
    expect(blockedRegistration.status).to.equal(400);
    expect(await blockedRegistration.json()).to.include({ error: 'invalid_redirect_uri' });

    // The blocked host's app is refused at the authorization endpoint.
    const refused = await fetch(`${server.issuer}/auth?${new URLSearchParams({
      client_id: clientId, redirect_uri: 'https://agents.example.com/callback', response_type: 'code', scope: 'read:contacts',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString()}`, { redirect: 'manual' });
    expect(refused.status, String(refused.headers.get('location'))).to.equal(400);
    expect(await refused.text()).to.include('agents.example.com are blocked');

    const partner = await server.createUser('Partner Co');
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, partner);
    expect(home.html).to.not.include('/portal/agents');
    expect(pageOf(await browser.navigate(`${server.issuer}/portal/agents`, 'nowhere:')).status).to.equal(404);
  });
});
