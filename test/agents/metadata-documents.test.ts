// Client ID Metadata Documents (issue 24, item 4) under LATCHKEY_CLIENT_ID_METADATA=on: a client_id
// that is an https URL names its document, served here over https on loopback with a certificate
// from a test CA the server trusts (LATCHKEY_OUTBOUND_CA_FILE). Such a client signs a user in as an
// unverified app (self-serve scopes only), is recorded as seen, and each bad document gets an error
// that names what is wrong. Production refuses a document on a private address.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { LIMITS } from '../../config/limits.ts';
import { startAuthorization, type WebApp } from '../helpers/flows.ts';
import { makeTestCa, startDocumentServer, type DocumentServer, type TestCa } from '../helpers/documents.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { cliJson } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CALLBACK = 'http://127.0.0.1:41300/callback';

function agentDocument(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: id, client_name: 'Doc Agent', redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'], token_endpoint_auth_method: 'none', ...extra,
  };
}

/** A pushed authorization request (RFC 9126) for the client: its errors come back as JSON. */
async function push(server: TestServer, clientId: string, redirectUri = CALLBACK): Promise<{ status: number; body: Record<string, string> }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const res = await fetch(`${server.issuer}/request`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'read:contacts',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }),
  });
  return { status: res.status, body: await res.json() as Record<string, string> };
}

describe('client ID metadata documents', function () {
  this.timeout(30_000);
  let ca: TestCa;
  let documents: DocumentServer;
  before(async () => {
    ca = await makeTestCa();
    documents = await startDocumentServer(ca);
  });
  after(() => documents?.close());

  describe('LATCHKEY_CLIENT_ID_METADATA=on', () => {
    let server: TestServer;
    let cliEnv: Record<string, string | undefined>;
    before(async () => {
      server = await startServer({ env: { LATCHKEY_CLIENT_ID_METADATA: 'on', LATCHKEY_OUTBOUND_CA_FILE: ca.caFile } });
      cliEnv = server.cliEnv;
    });
    after(() => server?.stop({ removeData: true }));

    // Booting with the feature on is the test that oidc-provider still accepts our acknowledgement
    // (draft-02): a release that changed it would throw at boot.
    it('boots with the experimental feature acknowledged, and says so in discovery', async () => {
      const metadata = await discover(server.issuer) as Record<string, unknown>;
      expect(metadata.client_id_metadata_document_supported).to.equal(true);
    });

    it('signs a user in as an unverified app, records it as seen, and refuses it a scope that is not self-serve', async () => {
      const id = documents.serve('/agents/good.json', agentDocument(`${documents.origin}/agents/good.json`));
      const app: WebApp = { as: await discover(server.issuer), clientId: id, clientSecret: '', redirectUri: CALLBACK };

      const greedy = await startAuthorization(app, 'read:contacts write:contacts');
      const refused = await new Browser().navigate(greedy.url.href, CALLBACK) as URL;
      expect(refused.searchParams.get('error')).to.equal('invalid_scope');
      expect(refused.searchParams.get('error_description')).to.include('write:contacts').and.include('unverified');

      const user = await server.createUser('Doc Users Co');
      const { url, verifier, state } = await startAuthorization(app, 'read:contacts');
      const browser = new Browser();
      const login = pageOf(await browser.navigate(url.href, CALLBACK));
      const consent = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: user.email, password: user.password }, CALLBACK));
      expect(consent.html).to.include('Unverified app').and.include('calling itself “<span class="app-name">Doc Agent</span>”')
        .and.include('<strong class="app-origin">127.0.0.1</strong>').and.include('runs on your device').and.not.include('<img');
      const callback = await browser.submit(Browser.forms(consent)[0]!, {}, CALLBACK) as URL;
      const client = { client_id: id, token_endpoint_auth_method: 'none' };
      const params = oauth.validateAuthResponse(app.as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(app.as, client,
        await oauth.authorizationCodeGrantRequest(app.as, client, oauth.None(), params, CALLBACK, verifier, insecure));
      expect(tokens.scope).to.equal('read:contacts');
      expect((await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).to.equal(200);

      const listed = await cliJson(['agent', 'list'], cliEnv) as { data: Record<string, unknown>[] };
      const seen = listed.data.find((agent) => agent.client_id === id);
      expect(seen).to.include({ source: 'metadata_document', name: 'Doc Agent', host: '127.0.0.1', trust: 'unverified', type: 'public', authorizations_today: 1 });
      expect(documents.fetches('/agents/good.json'), 'cached between requests').to.be.at.most(2);
    });

    it('gives each bad document an error that names what is wrong', async () => {
      const path = (name: string) => `/agents/bad-${name}.json`;
      const url = (name: string) => `${documents.origin}${path(name)}`;
      const cases: [string, unknown, string, RegExp][] = [
        ['mismatch', agentDocument(`${documents.origin}/agents/someone-else.json`), 'invalid_client_metadata', /client_id does not match/],
        ['oversize', agentDocument(url('oversize'), { client_name: 'Big', padding: 'x'.repeat(LIMITS.metadataDocumentMaxBytes) }), 'invalid_client', /larger than 5120 bytes/],
        ['secret', agentDocument(url('secret'), { token_endpoint_auth_method: 'client_secret_basic' }), 'invalid_client_metadata', /shared-secret/],
        ['ours', agentDocument(url('ours'), { 'urn:latchkey:allowed_scopes': 'write:contacts' }), 'invalid_client_metadata', /urn:latchkey:allowed_scopes/],
        ['ours-unknown', agentDocument(url('ours-unknown'), { 'urn:latchkey:anything': true }), 'invalid_client_metadata', /urn:latchkey:anything/],
        ['http-redirect', agentDocument(url('http-redirect'), { redirect_uris: ['http://agent.example.com/callback'] }), 'invalid_redirect_uri', /redirect_uris: .*must be http on 127.0.0.1/],
        ['not-json', '<html>hello</html>', 'invalid_client', /not JSON/],
      ];
      for (const [name, body, error, description] of cases) {
        documents.serve(path(name), body);
        const answer = await push(server, url(name));
        expect(answer.body.error, `${name}: ${JSON.stringify(answer.body)}`).to.equal(error);
        expect(answer.body.error_description, name).to.match(description);
      }
      const missing = await push(server, url('nowhere'));
      expect(missing.body).to.include({ error: 'invalid_client' });
      expect(missing.body.error_description).to.match(/answered 404/);
    });

    it('refuses at once every app from a host the operator blocks, and again allows it once unblocked', async () => {
      const id = documents.serve('/agents/blocked.json', agentDocument(`${documents.origin}/agents/blocked.json`));
      expect((await push(server, id)).status).to.equal(201);
      expect(await cliJson(['agent', 'block-host', '127.0.0.1'], cliEnv)).to.deep.equal({ host: '127.0.0.1', blocked: true });
      const refused = await push(server, id);
      expect(refused.body).to.include({ error: 'invalid_client' });
      expect(refused.body.error_description).to.include('127.0.0.1 are blocked');
      expect(await cliJson(['agent', 'unblock-host', '127.0.0.1'], cliEnv)).to.deep.equal({ host: '127.0.0.1', blocked: false });
      expect((await push(server, id)).status).to.equal(201);
    });
  });

  it('says when a document\'s certificate is not trusted', async () => {
    const untrusting = await startServer({ env: { LATCHKEY_CLIENT_ID_METADATA: 'on' } });
    try {
      const id = documents.serve('/agents/untrusted.json', agentDocument(`${documents.origin}/agents/untrusted.json`));
      const answer = await push(untrusting, id);
      expect(answer.body).to.include({ error: 'invalid_client' });
      expect(answer.body.error_description).to.match(/TLS certificate is not trusted/);
    } finally {
      await untrusting.stop({ removeData: true });
    }
  });

  describe('fetches per network address', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ env: { LATCHKEY_CLIENT_ID_METADATA: 'on', LATCHKEY_OUTBOUND_CA_FILE: ca.caFile } });
    });
    after(() => server?.stop({ removeData: true }));

    it('are limited per hour, so nobody can aim the server at a third party in bulk; a cached document costs nothing', async () => {
      const cached = documents.serve('/agents/cached.json', agentDocument(`${documents.origin}/agents/cached.json`));
      expect((await push(server, cached)).status).to.equal(201);
      for (let n = 1; n < LIMITS.metadataDocumentFetchesPerAddress; n += 1) {
        expect((await push(server, `${documents.origin}/agents/missing-${n}.json`)).body.error).to.equal('invalid_client');
      }
      const over = await push(server, `${documents.origin}/agents/one-too-many.json`);
      expect(over.body.error).to.equal('temporarily_unavailable');
      expect(over.body.error_description).to.match(/too many client ID metadata documents .* retry in \d+ seconds/);
      expect(documents.fetches('/agents/one-too-many.json'), 'not fetched').to.equal(0);
      expect((await push(server, cached)).status, 'from the cache: no fetch, no count').to.equal(201);
    });
  });

  describe('in production', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ env: { NODE_ENV: 'production', LATCHKEY_CLIENT_ID_METADATA: 'on', LATCHKEY_OUTBOUND_CA_FILE: ca.caFile } });
    });
    after(() => server?.stop({ removeData: true }));

    it('never fetches a document from a loopback or private address', async () => {
      const id = documents.serve('/agents/private.json', agentDocument(`${documents.origin}/agents/private.json`));
      const before = documents.fetches('/agents/private.json');
      const answer = await push(server, id);
      expect(answer.body).to.include({ error: 'invalid_client' });
      expect(answer.body.error_description).to.match(/must be https on a host that resolves to public internet addresses/);
      expect(documents.fetches('/agents/private.json'), 'no request left').to.equal(before);
    });
  });
});
