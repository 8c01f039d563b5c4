// Failed client authentication at /token, /token/introspection, /token/revocation and /request
// (PAR) is limited per address and per (client, address), never per client alone. The server
// trusts X-Forwarded-For here (TRUST_PROXY=true), so each test authenticates from addresses of its own.
import { expect } from 'chai';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { discover, insecure, oauth } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer { status: number; retryAfter: string | null; body: { error?: string; error_description?: string } }

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as Answer['body'] };
}

/** A partner's calls to the four authenticated endpoints, from a given address, with oauth4webapi. */
async function endpoints(issuer: string) {
  const as = await discover(issuer);
  const options = (address: string) => ({ ...insecure, headers: { 'x-forwarded-for': address } });
  return {
    token: (clientId: string, secret: string, address: string) => oauth.clientCredentialsGrantRequest(
      as, { client_id: clientId }, oauth.ClientSecretBasic(secret), new URLSearchParams({ scope: 'read:contacts' }), options(address)).then(answer),
    introspect: (clientId: string, secret: string, address: string) => oauth.introspectionRequest(
      as, { client_id: clientId }, oauth.ClientSecretBasic(secret), 'some-token', options(address)).then(answer),
    revoke: async (clientId: string, secret: string, address: string) => {
      const response = await oauth.revocationRequest(as, { client_id: clientId }, oauth.ClientSecretBasic(secret), 'some-token', options(address));
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: response.status === 200 ? {} : await response.json() as Answer['body'] };
    },
    par: (clientId: string, secret: string, address: string) => oauth.pushedAuthorizationRequest(
      as, { client_id: clientId }, oauth.ClientSecretBasic(secret),
      new URLSearchParams({ response_type: 'code', redirect_uri: 'https://app.example/cb', scope: 'read:contacts', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
      options(address)).then(answer),
  };
}

function expectRefused(a: Answer, label: string) {
  expect(a.status, `${label}: ${JSON.stringify(a.body)}`).to.equal(429);
  expect(a.body.error, label).to.equal('temporarily_unavailable');
  expect(a.body.error_description, label).to.match(/too many failed client authentications/);
  expect(Number(a.retryAfter), label).to.be.within(1, LIFETIMES.clientAuthWindow);
}

describe('client authentication limits', function () {
  this.timeout(60_000);
  let server: TestServer;
  let api: Awaited<ReturnType<typeof endpoints>>;
  before(async () => {
    server = await startServer({ env: { TRUST_PROXY: 'true' } });
    api = await endpoints(server.issuer);
  });
  after(() => server.stop({ removeData: true }));

  it(`refuses a client from one address after ${LIMITS.clientAuthMaxFailures} failures, even with the right secret; from another address the right secret works`, async () => {
    const client = await server.createClient({ name: 'Target', type: 'service', scopes: 'read:contacts' });
    const address = '198.51.100.20';
    for (let i = 0; i < LIMITS.clientAuthMaxFailures; i += 1) {
      expect((await api.token(client.clientId, `wrong secret ${i}`, address)).status).to.equal(401);
    }
    expectRefused(await api.token(client.clientId, client.clientSecret, address), 'right secret, same address');
    expect((await api.token(client.clientId, client.clientSecret, '203.0.113.20')).status, 'another address').to.equal(200);
  });

  it('stops a burst of 400 wrong secrets, and the right secret right after it is refused', async () => {
    const client = await server.createClient({ name: 'Burst', type: 'service', scopes: 'read:contacts' });
    const address = '198.51.100.21';
    const burst = await Promise.all(Array.from({ length: 400 }, (_, i) => api.token(client.clientId, `guess ${i}`, address)));
    expect(burst.filter((a) => a.status === 429).length, 'refused in the burst').to.be.greaterThan(300);
    expectRefused(await api.token(client.clientId, client.clientSecret, address), 'right secret after the burst');
    expect((await api.token(client.clientId, client.clientSecret, '203.0.113.21')).status, 'another address').to.equal(200);
  });

  it('counts failures at introspection, revocation and PAR with those at /token, and refuses at all four', async () => {
    const client = await server.createClient({ name: 'Everywhere', type: 'service', scopes: 'read:contacts' });
    const address = '198.51.100.22';
    const calls = [api.introspect, api.revoke, api.par, api.token];
    for (let i = 0; i < LIMITS.clientAuthMaxFailures; i += 1) {
      const failed = await calls[i % calls.length]!(client.clientId, 'wrong', address);
      expect(failed.status, `failure ${i}: ${JSON.stringify(failed.body)}`).to.equal(401);
      expect(failed.body.error).to.equal('invalid_client');
    }
    for (const call of calls) expectRefused(await call(client.clientId, client.clientSecret, address), call.name);
  });

  it(`refuses every client from an address after ${LIMITS.clientAuthSourceMaxFailures} failures across clients`, async () => {
    const client = await server.createClient({ name: 'Bystander', type: 'service', scopes: 'read:contacts' });
    const address = '198.51.100.23';
    for (let i = 0; i < LIMITS.clientAuthSourceMaxFailures; i += 1) {
      expect((await api.token(`client_test_unknown${i}`, 'wrong', address)).status).to.equal(401);
    }
    expectRefused(await api.token(client.clientId, client.clientSecret, address), 'another client, same address');
    expect((await api.token(client.clientId, client.clientSecret, '203.0.113.23')).status, 'another address').to.equal(200);
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const client = await server.createClient({ name: 'Six', type: 'service', scopes: 'read:contacts' });
    for (let i = 0; i < LIMITS.clientAuthMaxFailures; i += 1) {
      expect((await api.token(client.clientId, 'wrong', `2001:db8:cc:1::${(i + 1).toString(16)}`)).status).to.equal(401);
    }
    expectRefused(await api.token(client.clientId, client.clientSecret, '2001:db8:cc:1:ffff::1'), 'the same /64');
    expect((await api.token(client.clientId, client.clientSecret, '2001:db8:cc:2::1')).status, 'another /64').to.equal(200);

    for (let i = 0; i < LIMITS.clientAuthMaxFailures; i += 1) await api.token(client.clientId, 'wrong', '198.51.100.26');
    expectRefused(await api.token(client.clientId, client.clientSecret, '::ffff:198.51.100.26'), 'the same IPv4 host');
  });

  describe('on two instances sharing a store', () => {
    let other: TestServer;
    let otherApi: Awaited<ReturnType<typeof endpoints>>;
    before(async () => {
      other = await startServer({ dataDir: server.dataDir, mongodbDatabase: server.mongodbDatabase, env: { TRUST_PROXY: 'true' } });
      otherApi = await endpoints(other.issuer);
    });
    after(() => other.stop());

    it('counts failures on both together, and both refuse within a second', async () => {
      const client = await server.createClient({ name: 'Shared', type: 'service', scopes: 'read:contacts' });
      const address = '198.51.100.24';
      const half = LIMITS.clientAuthMaxFailures / 2;
      for (let i = 0; i < half; i += 1) expect((await api.token(client.clientId, 'wrong', address)).status).to.equal(401);
      for (let i = 0; i < half; i += 1) expect((await otherApi.token(client.clientId, 'wrong', address)).status).to.equal(401);
      expectRefused(await otherApi.token(client.clientId, client.clientSecret, address), 'the instance that saw the last failure');
      const started = Date.now();
      let first: Answer;
      do {
        await sleep(100);
        first = await api.token(client.clientId, client.clientSecret, address);
      } while (first.status !== 429 && Date.now() - started < 1500);
      expectRefused(first, 'the other instance');
      expect(Date.now() - started, 'within about a second').to.be.below(1500);
    });
  });

  describe('with the window set by the operator (LATCHKEY_CLIENT_AUTH_WINDOW=2s)', () => {
    let short: TestServer;
    before(async () => { short = await startServer({ env: { TRUST_PROXY: 'true', LATCHKEY_CLIENT_AUTH_WINDOW: '2s' } }); });
    after(() => short.stop({ removeData: true }));

    it('lets the client in again once the window has ended', async () => {
      const shortApi = await endpoints(short.issuer);
      const client = await short.createClient({ name: 'Patient', type: 'service', scopes: 'read:contacts' });
      const address = '198.51.100.25';
      for (let i = 0; i < LIMITS.clientAuthMaxFailures; i += 1) await shortApi.token(client.clientId, 'wrong', address);
      const refused = await shortApi.token(client.clientId, client.clientSecret, address);
      expect(refused.status).to.equal(429);
      expect(Number(refused.retryAfter)).to.be.within(1, 2);
      await sleep(Number(refused.retryAfter) * 1000 + 100);
      expect((await shortApi.token(client.clientId, client.clientSecret, address)).status).to.equal(200);
    });
  });
});
