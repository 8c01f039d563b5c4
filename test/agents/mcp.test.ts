// The done-when of issue 24: the official MCP SDK's own client, with its own OAuth support, against
// examples/mcp-server (its tools behind the guard library). The client is refused (401), discovers
// Latchkey from the challenge's resource metadata, and makes itself known: once by dynamic
// registration (LATCHKEY_REGISTRATION=open), once by a client ID metadata document served over https
// on loopback (LATCHKEY_CLIENT_ID_METADATA=on; the child trusts the test CA through
// NODE_EXTRA_CA_CERTS). The user signs in and consents in Chromium, and the client calls a self-serve
// tool; a tool whose scope is not self-serve is refused. Pending without /usr/bin/chromium.
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import type { Browser as Chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { startMcpServer } from '../../examples/mcp-server/server.ts';
import { Browser } from '../../packages/form-browser/browser.ts';
import { catalogFile, startChild, dropChildDatabase, type Child } from '../catalog/child.ts';
import { HAS_CHROMIUM, launchChromium } from '../helpers/chromium.ts';
import { makeTestCa, startDocumentServer, type DocumentServer } from '../helpers/documents.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { freePort } from '../helpers/server.ts';

/** The MCP client's OAuth state, in memory: what a desktop agent would keep on disk. */
class AgentAuth implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  readonly authorizations: URL[] = [];
  readonly redirectUrl: string;
  /** Set: the SDK uses this URL as its client_id (a client ID metadata document) instead of registering. */
  readonly clientMetadataUrl: string | undefined;
  constructor(redirectUrl: string, clientMetadataUrl?: string) {
    this.redirectUrl = redirectUrl;
    this.clientMetadataUrl = clientMetadataUrl;
  }
  get clientMetadata() {
    return { client_name: 'Test Agent', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.information; }
  saveClientInformation(information: OAuthClientInformationMixed) { this.information = information; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { recordSecret(tokens.access_token); this.saved = tokens; }
  redirectToAuthorization(url: URL) { this.authorizations.push(url); }
  saveCodeVerifier(verifier: string) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

(HAS_CHROMIUM ? describe : describe.skip)('an MCP client reaches a partner API with no one registering it', function () {
  this.timeout(60_000);
  let latchkey: Child;
  let mcp: Server;
  let callback: Server;
  let chromium: Chromium;
  let resource: string;
  let redirectUrl: string;
  let documents: DocumentServer;
  const user = { email: `agent.user.${Date.now()}@example.com`, password: 'correct horse battery staple 24' };

  before(async () => {
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    const ca = await makeTestCa();
    documents = await startDocumentServer(ca);
    latchkey = await startChild({
      LATCHKEY_REGISTRATION: 'open',
      LATCHKEY_CLIENT_ID_METADATA: 'on',
      NODE_EXTRA_CA_CERTS: ca.caFile,
      LATCHKEY_CATALOG_FILE: catalogFile({ resources: [{ resource, name: 'Notes', scopes: [
        { name: 'read:notes', description: 'See your notes', use_case: 'An agent that reads notes', consent: true, self_serve: true },
        { name: 'write:notes', description: 'Add notes', use_case: 'An agent that writes notes', consent: true },
      ] }] }),
    });
    await latchkey.latchkey(['account', 'create', '--name', 'Agent Users Inc', '--email', user.email, '--password', user.password]);
    const rs = await latchkey.latchkey(['resource-server', 'create', '--resource', resource, '--name', 'Notes']);
    recordSecret(rs.client_secret);
    mcp = await startMcpServer({ issuer: latchkey.issuer, resource, introspection: { clientId: rs.client_id!, clientSecret: rs.client_secret! } }, port);
    const callbackPort = await freePort();
    redirectUrl = `http://127.0.0.1:${callbackPort}/callback`;
    callback = createServer((_req, res) => { res.end('<!DOCTYPE html><title>agent</title><p>You can close this window.</p>'); });
    await new Promise<void>((resolve) => callback.listen(callbackPort, '127.0.0.1', resolve));
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    mcp?.close();
    callback?.close();
    await documents?.close();
    await latchkey?.stop();
    await dropChildDatabase(latchkey);
  });

  /** The user signs in and approves in Chromium; the code the app's loopback page received. */
  async function approveInChromium(authorization: URL): Promise<string> {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(authorization.href);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Unverified app');
    await Promise.all([page.waitForURL(`${redirectUrl}**`), page.click('button:has-text("Allow")')]);
    const code = new URL(page.url()).searchParams.get('code');
    await context.close();
    return code!;
  }

  /** The agent is refused, finds Latchkey, makes itself known, is authorized, calls a tool and is refused another. */
  async function reachTools(auth: AgentAuth, knownAs: (clientId: string | undefined) => void): Promise<void> {
    const connect = async () => {
      const client = new Client({ name: 'test-agent', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: auth });
      await client.connect(transport);
      return { client, transport };
    };

    // Refused, the SDK found Latchkey through the resource metadata, made itself known, and asks the user.
    const first = new StreamableHTTPClientTransport(new URL(resource), { authProvider: auth });
    const refused = await new Client({ name: 'test-agent', version: '1.0.0' }).connect(first).then(() => 'connected', (err: Error) => `${err.name}: ${err.message}`);
    expect(refused).to.match(/Unauthorized/);
    const [authorization] = auth.authorizations;
    knownAs(authorization!.searchParams.get('client_id') ?? undefined);
    expect(authorization!.origin).to.equal(new URL(latchkey.issuer).origin);
    expect(authorization!.searchParams.get('scope')).to.equal('read:notes');
    expect(authorization!.searchParams.get('code_challenge_method')).to.equal('S256');

    await first.finishAuth(await approveInChromium(authorization!));
    const { client } = await connect();
    const listed = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(listed.isError ?? false).to.equal(false);
    expect((listed.content as { text: string }[])[0]!.text).to.equal('[]');

    // write:notes is not self-serve: the SDK asks for it, and the authorization server refuses it.
    const add = await client.callTool({ name: 'add_note', arguments: { text: 'hello' } }).then(() => 'called', (err: Error) => err.message);
    expect(add).to.not.equal('called');
    const stepUp = auth.authorizations.at(-1)!;
    expect(stepUp.searchParams.get('scope')).to.include('write:notes');
    const answer = await new Browser().navigate(stepUp.href, redirectUrl);
    expect(answer).to.be.instanceOf(URL);
    expect((answer as URL).searchParams.get('error')).to.equal('invalid_scope');
    expect((answer as URL).searchParams.get('error_description')).to.include('write:notes');
    await client.close();
  }

  it('discovers, registers dynamically, gets the user\'s consent, calls a self-serve tool, and is refused one that is not', async () => {
    const auth = new AgentAuth(redirectUrl);
    await reachTools(auth, (clientId) => {
      expect(clientId, 'registered dynamically').to.match(/^client_live_/);
      expect(auth.information?.client_id).to.equal(clientId);
    });
  });

  it('does the same known only by its client ID metadata document, which Latchkey fetches over https', async () => {
    const url = `${documents.origin}/agents/test-agent.json`;
    documents.serve('/agents/test-agent.json', {
      client_id: url, client_name: 'Test Agent', redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none',
    });
    const auth = new AgentAuth(redirectUrl, url);
    await reachTools(auth, (clientId) => expect(clientId, 'no registration: the document\'s URL').to.equal(url));
    expect(documents.fetches('/agents/test-agent.json')).to.be.at.least(1);
  });
});
