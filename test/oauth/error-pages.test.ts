// End-user error pages of the authorization endpoint (issue 25, item 5): a person who followed an
// app's link to a request Latchkey cannot accept reads one sentence that names the app when it is
// known, can go back to where they came from, and the technical details wait, folded, for the app's
// developer.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CHALLENGE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

describe('end-user error pages', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  async function page(query: Record<string, string>, referer?: string): Promise<{ status: number; html: string }> {
    const res = await fetch(`${server.issuer}/auth?${new URLSearchParams({ ...CHALLENGE, ...query }).toString()}`, {
      redirect: 'manual', headers: referer ? { referer } : {},
    });
    return { status: res.status, html: await res.text() };
  }

  it('names the app that asked for an unregistered return address, offers to go back, and folds the details', async () => {
    const { accountId } = await server.createUser('Error Pages Co');
    const app = await server.createClient({ accountId, name: 'Shiny CRM', type: 'web', scopes: 'read:contacts', redirectUris: ['https://crm.example/cb'] });
    const answer = await page({ client_id: app.clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: 'read:contacts' }, 'https://crm.example/settings');
    expect(answer.status).to.equal(400);
    const [before, details] = answer.html.split('<details');
    expect(before).to.include('“Shiny CRM” asked to send you back to an address it has not registered')
      .and.include('<a class="button-link" href="https://crm.example/settings">Go back</a>').and.not.include('invalid_redirect_uri');
    expect(details).to.include('invalid_redirect_uri').and.include('/docs/errors#invalid_redirect_uri');
  });

  it('says the app is unknown when it is, and without a referrer asks the person to go back to the app', async () => {
    const answer = await page({ client_id: 'client_test_doesnotexist', response_type: 'code', redirect_uri: 'https://x.example/cb', scope: 'read:contacts' });
    expect(answer.html).to.include('Latchkey does not know the app that sent you here').and.include('Close this page and go back to the app.');
    expect(pageOf(await new Browser().navigate(`${server.issuer}/auth?client_id=x`, 'nowhere:')).html).to.include('This sign-in cannot continue');
  });
});
