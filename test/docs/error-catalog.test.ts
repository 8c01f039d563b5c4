// The error catalog (config/errors.ts, rendered in docs/errors.md) covers every code the server
// answers, and every OAuth error links to its entry. The check over every error any test met runs
// once after the whole run (test/helpers/run-checks.ts, from what test/helpers/error-recorder.ts saw).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { SignJWT, importJWK } from 'jose';
import { withLowS } from '../helpers/ecdsa.ts';
import { ERROR_CATALOG } from '../../config/error-catalog.ts';
import { ERROR_CODES } from '../../config/errors.ts';
import { EXPIRY_DESCRIPTIONS, GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { CATALOG_TEST_RAN, problemsIn } from '../helpers/error-catalog-check.ts';
import { appendLines } from '../helpers/run-folder.ts';
import { ROOT } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const catalog: Record<string, { oauth?: object; latchkey?: { examples?: readonly string[] } } | undefined> = ERROR_CATALOG;

describe('error catalog', () => {
  // The run-wide check (test/helpers/run-checks.ts) then also insists that the run met some error.
  before(() => appendLines(CATALOG_TEST_RAN, [true]));

  const page = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('has an entry in our form for every code of our routes', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(catalog[code]?.latchkey, code).to.not.equal(undefined);
  });

  it('gives each entry an anchor named after its code in docs/errors.md', () => {
    for (const code of Object.keys(ERROR_CATALOG)) expect(page, code).to.include(`<a id="${code}"></a>`);
  });

  it('lists each refresh failure reason with its exact error_description, and client deletion as invalid_client', () => {
    const entry = page.slice(page.indexOf('<a id="invalid_grant">'), page.indexOf('<a id="unauthorized_client">'));
    for (const [reason, { description }] of Object.entries(GRANT_REVOCATION_REASONS)) {
      if (reason !== 'client_deleted') expect(entry, reason).to.include(description);
    }
    expect(entry).to.include(EXPIRY_DESCRIPTIONS['refresh token is expired']).and.include('[`invalid_client`](#invalid_client)');
  });

  it('fails on a code it does not know, or an OAuth error without error_uri', () => {
    const base = { status: 400, url: 'http://x/token', sample: '' };
    expect(problemsIn([{ ...base, code: 'made_up', form: 'oauth', link: 'http://x/docs/errors#made_up' }])).to.have.length(1);
    expect(problemsIn([{ ...base, code: 'invalid_grant', form: 'oauth', link: undefined }])).to.have.length(1);
    expect(problemsIn([{ ...base, code: 'invalid_grant', form: 'oauth', link: 'http://x/docs/errors#invalid_grant' }])).to.deep.equal([]);
  });

  describe('against a running server', () => {
    const redirectUri = 'http://localhost:8765/cb';
    let server: TestServer;
    let clientId: string;
    before(async () => {
      server = await startServer();
      ({ clientId } = await server.createClient({ name: 'web', type: 'web', scopes: 'read:contacts', redirectUris: [redirectUri] }));
    });

    /** The error parameters of an authorization request's redirect (query or fragment). */
    async function authorizationError(params: Record<string, string>): Promise<URLSearchParams> {
      const auth = new URL(`${server.issuer}/auth`);
      auth.search = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'read:contacts', state: 's', ...params }).toString();
      const location = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!);
      return location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
    }
    after(() => server.stop({ removeData: true }));

    it('answers an expired access token at the Partner API exactly as the catalog shows', async () => {
      const { accountId } = await server.createUser();
      const material = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
      const es256 = material.jwks.keys.find((k) => k.kty === 'EC')!;
      const now = Math.floor(Date.now() / 1000);
      const expired = withLowS(await new SignJWT({ scope: 'read:contacts', client_id: 'c', account_id: accountId, env: 'test' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: es256.kid! })
        .setIssuer(server.issuer).setAudience(`${server.issuer}/api`).setSubject('c').setJti('expired-catalog')
        .setIssuedAt(now - 3600).setExpirationTime(now - 60)
        .sign(await importJWK(es256, 'ES256')));
      const response = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${expired}` } });

      const [statusLine, challenge, , , body] = ERROR_CATALOG.invalid_token.latchkey.examples[0].replaceAll('$ISSUER', server.issuer).split('\n');
      expect(`HTTP/1.1 ${response.status} Unauthorized`).to.equal(statusLine);
      expect(`WWW-Authenticate: ${response.headers.get('www-authenticate')}`).to.equal(challenge);
      expect(await response.text()).to.equal(body);
    });

    it('links OAuth errors to their entry: token, introspection, revocation, PAR and the authorization redirect', async () => {
      const form = (body: Record<string, string>) => ({
        method: 'POST', body: new URLSearchParams(body), headers: { accept: 'application/json' },
      });
      const answers = await Promise.all([
        fetch(`${server.issuer}/token`, form({ grant_type: 'password', client_id: 'x', client_secret: 'y' })),
        fetch(`${server.issuer}/token/introspection`, form({ token: 'x', client_id: 'nope', client_secret: 'y' })),
        fetch(`${server.issuer}/token/revocation`, form({ token: 'x', client_id: 'nope', client_secret: 'y' })),
        fetch(`${server.issuer}/request`, form({ client_id: 'nope', client_secret: 'y', response_type: 'code' })),
      ]);
      for (const answer of answers) {
        const body = await answer.json() as { error: string; error_uri?: string };
        expect(body.error_uri, answer.url).to.equal(`${server.issuer}/docs/errors#${body.error}`);
      }

      const redirected = await authorizationError({});
      expect(redirected.get('error')).to.equal('invalid_request');
      expect(redirected.get('error_uri')).to.equal(`${server.issuer}/docs/errors#invalid_request`);
    });

    it('redirects each authorization error the catalog lists, query or fragment, with error_uri', async () => {
      const pkce = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
      const cases = {
        request_not_supported: { request: 'eyJhbGciOiJub25lIn0.e30.' },
        registration_not_supported: { registration: '{}' },
        unsupported_response_type: { response_type: 'token' },
        unsupported_response_mode: { response_mode: 'jwt' },
        invalid_request_uri: { request_uri: 'urn:ietf:params:oauth:request_uri:unknown' },
        login_required: { prompt: 'none' },
      };
      for (const [code, params] of Object.entries(cases)) {
        const redirected = await authorizationError({ ...pkce, ...params });
        expect(redirected.get('error'), code).to.equal(code);
        expect(redirected.get('error_uri'), code).to.equal(`${server.issuer}/docs/errors#${code}`);
      }
    });
  });
});
