// The OAuth app page (issue 25, item 4): a details grid with what an integrator needs (issuer,
// discovery, endpoints, a ready authorization URL) each with a copy button; Settings with "Save
// changes" as the primary action, Credentials with rotation secondary and each secret's last use,
// and a danger zone.
import { expect } from 'chai';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form } from './helpers.ts';

describe('the OAuth app page', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  async function signIn(user: { email: string; password: string }): Promise<Browser> {
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    return browser;
  }

  it('gives the integration facts with copy buttons, in sections, with the primary action on saving', async () => {
    const user = await server.createUser('App Page Co');
    const app = await server.createClient({ accountId: user.accountId, name: 'Page App', type: 'web', scopes: 'read:contacts', redirectUris: ['https://page.example/cb'] });
    const page = pageOf(await (await signIn(user)).navigate(`${server.issuer}/portal/apps/${app.clientId}`, 'nowhere:'));
    for (const [id, value] of [['issuer', server.issuer], ['discovery', `${server.issuer}/.well-known/openid-configuration`],
      ['authorization-endpoint', `${server.issuer}/auth`], ['token-endpoint', `${server.issuer}/token`]]) {
      expect(page.html, id).to.include(`<code id="${id}">${value}</code>`).and.include(`data-copy="${id}"`);
    }
    const url = /<code id="authorization-url">([^<]+)<\/code>/.exec(page.html)![1]!.replaceAll('&amp;', '&');
    const params = new URL(url).searchParams;
    expect(Object.fromEntries(params)).to.include({ client_id: app.clientId, redirect_uri: 'https://page.example/cb', response_type: 'code', code_challenge_method: 'S256' });
    const order = ['id="details"', 'id="secrets"', 'id="edit"', 'id="danger"'].map((marker) => page.html.indexOf(marker));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), 'details, credentials, settings, danger zone').to.equal(true);
    expect(page.html).to.match(/<button type="submit" class="secondary">Rotate secret/);
    expect(page.html).to.match(/<button type="submit">Save changes/);
  });

  it('shows when each secret was last used', async () => {
    const user = await server.createUser('Secret Use Co');
    const app = await server.createClient({ accountId: user.accountId, name: 'Busy Service', type: 'service', scopes: 'read:contacts' });
    const browser = await signIn(user);
    const view = async (): Promise<Page> => pageOf(await browser.navigate(`${server.issuer}/portal/apps/${app.clientId}`, 'nowhere:'));
    expect((await view()).html).to.include('never used');
    await clientCredentials(await discover(server.issuer), app.clientId, app.clientSecret, 'read:contacts');
    let used = await view();
    for (let attempt = 0; !used.html.includes('last used') && attempt < 20; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      used = await view();
    }
    expect(used.html).to.match(/<span class="secret-used">last used \d+ \w+ \d{4}, \d\d:\d\d UTC<\/span>/);
  });
});
