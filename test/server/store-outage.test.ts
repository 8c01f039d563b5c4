// A store outage answers 503 with Retry-After (never a 500 with a stack), and the server recovers
// by itself when the store is back. MongoDB's driver errors become StoreUnavailableError in the
// MongoDB store; here the same error is injected into the running store.
import { expect } from 'chai';
import { StoreUnavailableError } from '../../adapters/contract.ts';
import { describeMongoUri } from '../../adapters/mongodb/index.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { runNode } from '../helpers/processes.ts';
import { startServer, tempDataDir, type TestServer } from '../helpers/server.ts';

describe('store outages', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  it('answers 503 + Retry-After while the store is down, and recovers when it is back', async () => {
    const as = await discover(server.issuer);
    const service = await server.createClient({ name: 'Outage Svc', type: 'service', scopes: 'read:contacts' });
    const { store } = server.latchkey;
    const findClient = store.findClient.bind(store);
    store.findClient = () => Promise.reject(new StoreUnavailableError('injected outage'));
    try {
      const token = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=read:contacts',
      });
      expect(token.status).to.equal(503);
      expect(token.headers.get('retry-after')).to.equal('5');
      expect(token.headers.get('cache-control')).to.equal('no-store');
      const body = await token.json() as { error: string; error_description: string };
      expect(body.error).to.equal('temporarily_unavailable');
      expect(JSON.stringify(body)).not.to.match(/at .*\.ts/);
    } finally {
      store.findClient = findClient;
    }
    const tokens = await clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts');
    expect(tokens.access_token).to.be.a('string');
  });

  it('keeps /healthz at 200 during an outage, while /readyz reports it (see test/ops/health.test.ts)', async () => {
    const { store } = server.latchkey;
    const ping = store.ping.bind(store);
    store.ping = () => Promise.reject(new StoreUnavailableError('injected outage'));
    try {
      expect((await fetch(`${server.issuer}/healthz`)).status).to.equal(200);
      const response = await fetch(`${server.issuer}/readyz`, { headers: { accept: 'application/json' } });
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      const body = await response.json() as { status: string; reason: string };
      expect(body).to.deep.equal({ status: 'unavailable', reason: 'store unavailable' });
    } finally {
      store.ping = ping;
    }
    expect((await fetch(`${server.issuer}/readyz`)).status).to.equal(200);
  });
});

describe('MongoDB connection settings', () => {
  it('describes a URI by its hosts, never its credentials', () => {
    expect(describeMongoUri('mongodb://admin:s3cret@db1:27017,db2:27017/latchkey?replicaSet=rs0')).to.equal('db1:27017,db2:27017');
    expect(describeMongoUri('mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true')).to.equal('cluster0.example.net');
    expect(describeMongoUri('mongodb://127.0.0.1:27017')).to.equal('127.0.0.1:27017');
  });

  it('stops at boot when MongoDB is unreachable, naming the host and not the password', async () => {
    const result = await runNode('server/main.ts', [], {
      PORT: '0', DATA_DIR: tempDataDir(), MONGODB_URI: 'mongodb://admin:s3cret-pw@127.0.0.1:9/?serverSelectionTimeoutMS=300',
    });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('cannot reach MongoDB at 127.0.0.1:9');
    expect(result.stderr + result.stdout).not.to.include('s3cret-pw');
  });
});
