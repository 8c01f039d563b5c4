// RFC 7662 introspection for resource servers: API keys (only the scopes of the caller's resource,
// revocation effective on the next call, last use recorded) and access tokens for its resource.
import { expect } from 'chai';
import { sample } from '../helpers/metrics.ts';
import type { ApiKeyStore } from '../../adapters/contract.ts';
import { generateApiKey } from '../../server/http/api-key-format.ts';
import { LAST_USED_RESOLUTION_MS } from '../../server/api-keys/last-used.ts';
import { revokeKey, rollKey } from '../../server/api-keys/service.ts';
import { OPERATOR_ACCOUNT_ID } from '../../server/clients/resource-servers.ts';
import { generateId, generateSortableId } from '../../server/secrets.ts';
import { newSecret } from '../../server/clients/secret-rotation.ts';
import { clientCredentials, discover, expectOAuthError, insecure, oauth } from '../helpers/oauth.ts';
import { authorizeAndExchange, client as flowClient, type WebApp } from '../helpers/flows.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { introspect, startIntrospectionServer, type Credentials, type IntrospectionServer } from './setup.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lastUsedOf(store: ApiKeyStore, id: string): Promise<Date | undefined> {
  for (let i = 0; i < 50; i += 1) {
    const key = await store.findApiKey(id);
    if (key?.lastUsedAt) return key.lastUsedAt;
    await sleep(20);
  }
  return undefined;
}

describe('introspection for resource servers', () => {
  let server: IntrospectionServer;
  let api: string;
  let orders: Credentials;
  let accountId: string;
  let service: Credentials;
  before(async () => {
    server = await startIntrospectionServer();
    api = `${server.issuer}/api`;
    orders = await server.resourceServer(api, 'Partner API gateway');
    const partner = await server.createClient({ name: 'Sync', type: 'service', scopes: 'read:contacts write:contacts' });
    accountId = partner.accountId;
    service = partner;
  });
  after(() => server.stop({ removeData: true }));

  /** A resource server for a resource the catalog does not define, stored directly (the CLI refuses it). */
  async function foreignResourceServer(resource: string): Promise<Credentials> {
    const now = new Date();
    const fresh = newSecret(server.pepper, now);
    recordSecret(fresh.secret);
    const id = generateId('client_rs');
    const existing = await server.latchkey.store.findAccount(OPERATOR_ACCOUNT_ID);
    expect(existing, 'the operator account exists once a resource server was created').not.to.equal(undefined);
    await server.latchkey.store.createClient({
      id, accountId: OPERATOR_ACCOUNT_ID, name: 'Elsewhere', type: 'resource_server', environment: 'live', scopes: [], redirectUris: [], postLogoutRedirectUris: [],
      authMethod: 'client_secret_basic', secretHash: fresh.record.hash, secrets: [fresh.record], jwks: undefined, homepageUrl: undefined,
      logoDigest: undefined, resource, createdBy: 'cli', createdAt: now, updatedAt: now, revision: 1,
    }, { id: generateSortableId('evt'), accountId: OPERATOR_ACCOUNT_ID, actor: 'cli', action: 'client.created', targetId: id, reason: undefined, at: now });
    return { clientId: id, clientSecret: fresh.secret };
  }

  describe('API keys', () => {
    it('answers active with exactly the RFC 7662 fields, the key\'s scopes of the resource, and no-store', async () => {
      const { key, record } = await server.apiKey(accountId, 'read:contacts write:contacts');
      const answer = await introspect(server.issuer, orders, key);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      expect(answer.body).to.deep.equal({
        active: true, token_type: 'api_key', scope: 'read:contacts write:contacts', account_id: accountId, env: 'test',
        key_id: record.id, iat: Math.floor(record.createdAt.getTime() / 1000), iss: server.issuer,
      });
    });

    it('gives exp when the key has one, and the live environment for a live key', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000);
      const { key, record } = await server.apiKey(accountId, 'read:contacts', { env: 'live', expiresAt: expiresAt.toISOString() });
      const answer = await introspect(server.issuer, orders, key);
      expect(answer.body).to.include({ active: true, env: 'live', key_id: record.id, exp: Math.floor(record.expiresAt!.getTime() / 1000) });
    });

    it('works with an independent OAuth client library (oauth4webapi introspectionRequest)', async () => {
      const { key } = await server.apiKey(accountId, 'read:contacts');
      const as = await discover(server.issuer);
      const client = { client_id: orders.clientId };
      const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(orders.clientSecret), key, insecure);
      const body = await oauth.processIntrospectionResponse(as, client, response);
      expect(body).to.include({ active: true, token_type: 'api_key', scope: 'read:contacts', account_id: accountId });
    });

    it('answers inactive on the next call after the key is revoked', async () => {
      const { key, record } = await server.apiKey(accountId, 'read:contacts');
      expect((await introspect(server.issuer, orders, key)).body.active).to.equal(true);
      await revokeKey(server.latchkey.store, record, 'leaked in a test', 'cli');
      const answer = await introspect(server.issuer, orders, key);
      expect(answer.body).to.deep.equal({ active: false });
      expect(answer.headers.get('cache-control')).to.equal('no-store');
    });

    it('reads nothing from the store to introspect a key it knows: not the key, not the resource server, not as its own token', async () => {
      const { key } = await server.apiKey(accountId, 'read:contacts');
      expect((await introspect(server.issuer, orders, key)).body.active).to.equal(true);
      const reads = async () => {
        const text = await (await fetch(`${server.issuer}/metrics`)).text();
        return ['findApiKeyByHash', 'findClient', 'oidc.find'].map((operation) => sample(text, 'latchkey_store_operation_duration_seconds_count', { operation, outcome: 'ok' }));
      };
      const before = await reads();
      for (let i = 0; i < 5; i += 1) expect((await introspect(server.issuer, orders, key)).body.active).to.equal(true);
      expect(await reads(), 'findApiKeyByHash, findClient, oidc.find').to.deep.equal(before);
    });

    it('answers for a rolled key during its overlap, and inactive after it', async () => {
      const { key: old, record } = await server.apiKey(accountId, 'read:contacts');
      const rolled = await rollKey(server.latchkey.store, server.pepper, record, 1, 'cli');
      recordSecret(rolled.key);
      expect((await introspect(server.issuer, orders, old)).body).to.include({ active: true, key_id: record.id });
      expect((await introspect(server.issuer, orders, rolled.key)).body).to.include({ active: true, key_id: rolled.record.id });
      await sleep(1100);
      expect((await introspect(server.issuer, orders, old)).body).to.deep.equal({ active: false });
      expect((await introspect(server.issuer, orders, rolled.key)).body.active).to.equal(true);
    });

    it('answers inactive for malformed and unknown keys, and for anything else', async () => {
      for (const token of ['sk_test_abc', `${generateApiKey('test').slice(0, -1)}0`, generateApiKey('live'), 'sk_', 'not-a-token']) {
        const answer = await introspect(server.issuer, orders, token);
        expect(answer.status, token).to.equal(200);
        expect(answer.body, token).to.deep.equal({ active: false });
        expect(answer.headers.get('cache-control')).to.equal('no-store');
      }
    });

    it('answers inactive to a client that is not a resource server', async () => {
      const { key } = await server.apiKey(accountId, 'read:contacts');
      expect((await introspect(server.issuer, service, key)).body).to.deep.equal({ active: false });
      // Its own tokens still answer as before.
      const tokens = await clientCredentials(await discover(server.issuer), service.clientId, service.clientSecret, 'read:contacts');
      expect((await introspect(server.issuer, service, tokens.access_token)).body).to.include({ active: true, client_id: service.clientId });
    });

    it('answers inactive to a resource server of another resource: the key holds none of its scopes', async () => {
      const elsewhere = await foreignResourceServer('https://elsewhere.example.com');
      const { key } = await server.apiKey(accountId, 'read:contacts');
      expect((await introspect(server.issuer, elsewhere, key)).body).to.deep.equal({ active: false });
    });

    it('records the key\'s last use, at most once per resolution', async () => {
      const { key, record } = await server.apiKey(accountId, 'read:contacts');
      expect(record.lastUsedAt).to.equal(undefined);
      await introspect(server.issuer, orders, key);
      const first = await lastUsedOf(server.latchkey.store, record.id);
      expect(first, 'last_used_at is set').to.be.instanceOf(Date);
      await introspect(server.issuer, orders, key);
      await sleep(50);
      expect((await server.latchkey.store.findApiKey(record.id))?.lastUsedAt, `not rewritten within ${LAST_USED_RESOLUTION_MS} ms`).to.deep.equal(first);
    });
  });

  describe('access tokens', () => {
    it('answers active with the claims for a token of its resource issued to another client', async () => {
      const tokens = await clientCredentials(await discover(server.issuer), service.clientId, service.clientSecret, 'read:contacts');
      const answer = await introspect(server.issuer, orders, tokens.access_token);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      expect(answer.body).to.include({ active: true, token_type: 'Bearer', client_id: service.clientId, aud: api, scope: 'read:contacts', iss: server.issuer });
    });

    it('answers for a user-delegated token of its resource until its grant dies; never for the refresh token', async () => {
      const redirectUri = 'http://localhost:8765/callback';
      const web = await server.createClient({ name: 'Web', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [redirectUri] });
      const app: WebApp = { as: await discover(server.issuer), clientId: web.clientId, clientSecret: web.clientSecret, redirectUri };
      const { tokens } = await authorizeAndExchange(app, await server.createUser('Delegating Co'), { scope: 'offline_access read:contacts' });
      expect((await introspect(server.issuer, orders, tokens.access_token)).body).to.include({ active: true, client_id: web.clientId });
      expect((await introspect(server.issuer, orders, tokens.refresh_token!)).body).to.deep.equal({ active: false });
      const { client: c, auth } = flowClient(app);
      await oauth.processRevocationResponse(await oauth.revocationRequest(app.as, c, auth, tokens.refresh_token!, insecure));
      expect((await introspect(server.issuer, orders, tokens.access_token)).body).to.deep.equal({ active: false });
    });

    it('answers inactive for a token of another audience, and for a forged one', async () => {
      const elsewhere = await foreignResourceServer('https://elsewhere-jwt.example.com');
      const tokens = await clientCredentials(await discover(server.issuer), service.clientId, service.clientSecret, 'read:contacts');
      expect((await introspect(server.issuer, elsewhere, tokens.access_token)).body).to.deep.equal({ active: false });
      const [header, payload] = tokens.access_token.split('.');
      expect((await introspect(server.issuer, orders, `${header}.${payload}.${'A'.repeat(86)}`)).body).to.deep.equal({ active: false });
    });
  });

  describe('the resource server itself', () => {
    it('gets no tokens: client credentials is unauthorized_client', async () => {
      const as = await discover(server.issuer);
      const error = await expectOAuthError(() => clientCredentials(as, orders.clientId, orders.clientSecret, 'read:contacts'));
      expect(error.error).to.equal('unauthorized_client');
    });

    it('authenticates with client_secret_post too', async () => {
      const { key } = await server.apiKey(accountId, 'read:contacts');
      const response = await fetch(`${server.issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: key, client_id: orders.clientId, client_secret: orders.clientSecret }),
      });
      expect(response.status).to.equal(200);
      expect(await response.json()).to.include({ active: true, token_type: 'api_key' });
    });

    it('with a wrong secret is invalid_client, whatever the token', async () => {
      const { key } = await server.apiKey(accountId, 'read:contacts');
      const answer = await introspect(server.issuer, { clientId: orders.clientId, clientSecret: 'wrong' }, key);
      expect(answer.status).to.equal(401);
      expect(answer.body.error).to.equal('invalid_client');
      expect(JSON.stringify(answer.body)).not.to.include(key);
    });
  });
});
