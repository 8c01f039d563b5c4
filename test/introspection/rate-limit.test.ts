// Failed API-key introspections are limited per source address with the guard's numbers; a key that
// verifies is still answered, and clients that are not resource servers are never counted.
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { generateApiKey } from '../../server/http/api-key-format.ts';
import { introspect, startIntrospectionServer, type Credentials, type IntrospectionServer } from './setup.ts';

describe('introspection failures are rate limited per address', () => {
  let server: IntrospectionServer;
  let gateway: Credentials;
  let service: Credentials;
  let accountId: string;
  before(async () => {
    server = await startIntrospectionServer();
    gateway = await server.resourceServer(`${server.issuer}/api`, 'Gateway');
    const created = await server.createClient({ name: 'Counted never', type: 'service', scopes: 'read:contacts' });
    service = created;
    accountId = created.accountId;
  });
  after(() => server.stop({ removeData: true }));

  it(`answers inactive to ${LIMITS.guardSourceMaxFailures} failures, then 429 with Retry-After in RFC 6749 JSON`, async () => {
    // A client that is not a resource server is not counted, whatever it sends.
    for (let i = 0; i < LIMITS.guardSourceMaxFailures + 5; i += 1) {
      expect((await introspect(server.issuer, service, 'sk_test_nope')).status).to.equal(200);
    }
    for (let i = 0; i < LIMITS.guardSourceMaxFailures; i += 1) {
      const answer = await introspect(server.issuer, gateway, i % 2 ? 'sk_test_malformed' : generateApiKey('test'));
      expect(answer.status, `failure ${i + 1}`).to.equal(200);
      expect(answer.body).to.deep.equal({ active: false });
    }
    const limited = await introspect(server.issuer, gateway, generateApiKey('test'));
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, server.latchkey.settings.windows.guardWindow);
    expect(limited.headers.get('cache-control')).to.equal('no-store');
    expect(limited.body.error).to.equal('temporarily_unavailable');
    expect(limited.body.error_uri).to.equal(`${server.issuer}/docs/errors#temporarily_unavailable`);
    expect(limited.body.error_description).to.match(/too many failed credential checks from this address; retry in \d+ seconds/);
  });

  it('still answers a key that verifies from the limited address', async () => {
    const { key } = await server.apiKey(accountId, 'read:contacts');
    const answer = await introspect(server.issuer, gateway, key);
    expect(answer.status).to.equal(200);
    expect(answer.body).to.include({ active: true, token_type: 'api_key' });
  });
});
