// Each reason a code exchange fails has its own error_description (issue 26, item 6): a missing or
// wrong PKCE verifier, a redirect_uri that differs, an unknown, expired or spent code, and a code
// issued to another client. Codes are remembered past their 60 s, so "expired" differs from "unknown".
import { expect } from 'chai';
import { CODE_EXCHANGE_FAILURES } from '../../config/revocation.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { authorize, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('code exchange failures, each in its own words', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  let other: WebApp;
  let user: { email: string; password: string };
  before(async () => {
    server = await startServer();
    const account = await server.createUser('Code Errors Co');
    user = account;
    for (const name of ['First', 'Second']) {
      const made = await server.createClient({ accountId: account.accountId, name, type: 'web', scopes: 'read:contacts', redirectUris: ['https://code.example/cb', 'https://code.example/other'] });
      const client = { as: await discover(server.issuer), clientId: made.clientId, clientSecret: made.clientSecret, redirectUri: 'https://code.example/cb' };
      if (name === 'First') app = client; else other = client;
    }
  });
  after(() => server?.stop({ removeData: true }));

  /** A fresh code for `app` and its verifier. */
  async function freshCode(): Promise<{ code: string; verifier: string }> {
    const { callback, verifier } = await authorize(app, user, { scope: 'read:contacts' });
    return { code: callback.searchParams.get('code')!, verifier };
  }

  async function exchange(client: WebApp, fields: Record<string, string>): Promise<{ error: string; error_description: string }> {
    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: client.redirectUri, ...fields }),
    });
    return await res.json() as { error: string; error_description: string };
  }

  const described = (detail: keyof typeof CODE_EXCHANGE_FAILURES) => CODE_EXCHANGE_FAILURES[detail].description;

  it('a missing verifier, a wrong verifier and another redirect_uri', async () => {
    const { code, verifier } = await freshCode();
    expect(await exchange(app, { code })).to.include({ error: 'invalid_grant', error_description: described('code_verifier must be provided') });
    expect(await exchange(app, { code, code_verifier: `${verifier.slice(0, -1)}x` })).to.include({ error_description: described('code_verifier does not match code_challenge') });
    expect(await exchange(app, { code, code_verifier: verifier, redirect_uri: 'https://code.example/other' })).to.include({ error_description: described('authorization code redirect_uri mismatch') });
  });

  it('an unknown code, a code of another client, and a spent one', async () => {
    expect(await exchange(app, { code: 'nope', code_verifier: 'a'.repeat(43) })).to.include({ error_description: described('authorization code not found') });
    const { code, verifier } = await freshCode();
    expect(await exchange(other, { code, code_verifier: verifier })).to.include({ error_description: described('client mismatch') });
    const spent = await freshCode();
    expect(await exchange(app, { code: spent.code, code_verifier: spent.verifier })).to.have.property('access_token');
    expect((await exchange(app, { code: spent.code, code_verifier: spent.verifier })).error_description).to.match(/authorization code already consumed: the grant has been revoked/);
  });

  it('an expired code, remembered past its lifetime', async () => {
    const { code, verifier } = await freshCode();
    const realNow = Date.now;
    Date.now = () => realNow() + (LIFETIMES.authorizationCode + 5) * 1000;
    try {
      expect(await exchange(app, { code, code_verifier: verifier })).to.include({ error_description: described('authorization code is expired') });
    } finally {
      Date.now = realNow;
    }
  });
});
