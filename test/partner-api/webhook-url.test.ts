// Webhook targets must be public internet addresses: no cloud metadata, private networks, loopback
// or link-local, by literal address or by what the host name resolves to (production). Outside
// production loopback stays allowed, so a test can receive deliveries.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

interface Answer { status: number; body: { error?: { code: string; field?: string; message: string }; url?: string } }

async function keyFor(server: TestServer): Promise<string> {
  const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
  const { accountId } = await server.createUser();
  return (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:webhooks', 'read:contacts'], actor: 'cli' })).key;
}

function expectRefused(res: Answer, url: string) {
  expect(res.status, `${url}: ${JSON.stringify(res.body)}`).to.equal(400);
  expect(res.body.error?.code, url).to.equal('validation_failed');
  expect(res.body.error?.field, url).to.equal('url');
  expect(res.body.error?.message, url).to.match(/^url: /);
}

const INTERNAL = [
  'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://[::ffff:169.254.169.254]/latest/meta-data/',
  'https://[::ffff:a9fe:a9fe]/',
  'https://[64:ff9b::a9fe:a9fe]/',
  'https://[fd00:ec2::254]/latest/meta-data/',
  'https://100.100.100.200/latest/meta-data/',
  'https://168.63.129.16/machine',
  'https://10.0.0.1/hook',
  'https://172.16.5.4/hook',
  'https://192.168.1.10/hook',
  'https://100.64.0.1/hook',
  'https://[fc00::1]/hook',
  'https://[fe80::1]/hook',
  'https://0.0.0.0/hook',
  'https://[::]/hook',
  // IPv4-translated (::ffff:0:0:0/96), any IPv4 inside; Teredo (2001::/32), which embeds IPv4 addresses.
  'https://[::ffff:0:a9fe:a9fe]/',
  'https://[::ffff:0:5db8:d822]/',
  'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  'https://[2001::1]/',
  // Documentation ranges, as such and embedded.
  'https://192.0.2.1/hook',
  'https://198.51.100.7/hook',
  'https://203.0.113.200/hook',
  'https://[2001:db8::1]/hook',
  'https://[3fff::1]/hook',
  'https://[::ffff:203.0.113.5]/hook',
  'https://[64:ff9b::c000:201]/hook',
  'https://[2002:c633:6401::1]/hook',
  // Benchmarking, reserved, broadcast, multicast.
  'https://198.18.0.1/hook',
  'https://198.19.255.254/hook',
  'https://240.0.0.1/hook',
  'https://255.255.255.255/hook',
  'https://224.0.0.1/hook',
  'https://239.255.255.250/hook',
  'https://[ff02::1]/hook',
  'https://[ff0e::1]/hook',
];

const LOOPBACK = [
  'https://127.0.0.1/hook', 'https://127.8.9.10:8443/hook', 'https://[::1]/hook', 'https://[::ffff:127.0.0.1]/hook', 'https://2130706433/hook',
  'https://[::ffff:0:7f00:1]/',
];

/** Public addresses (example.com's, Cloudflare's and Google's resolvers): accepted. */
const PUBLIC = [
  'https://93.184.215.14/hook', 'https://93.184.216.34/hook', 'https://[2606:2800:220:1::]/hook',
  'https://[2606:2800:220:1:248:1893:25c8:1946]/hook', 'https://[2606:4700:4700::1111]/hook', 'https://[2001:4860:4860::8888]/hook',
];

describe('webhook URLs', () => {
  describe('in production', () => {
    let server: TestServer;
    let base: string;
    let key: string;

    const register = async (url: string): Promise<Answer> => {
      const res = await fetch(`${base}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ url, events: ['contact.created'] }),
      });
      return { status: res.status, body: await res.json() as Answer['body'] };
    };

    before(async () => {
      server = await startServer({ env: { NODE_ENV: 'production', ISSUER: 'https://auth.example.test', TRUST_PROXY: 'true' } });
      base = server.issuer.replace('localhost', '127.0.0.1');
      key = await keyFor(server);
    });
    after(() => server.stop({ removeData: true }));

    it('refuses metadata, private, CGNAT, link-local, unspecified, documentation, reserved and multicast addresses', async () => {
      for (const url of INTERNAL) expectRefused(await register(url), url);
    });

    it('refuses loopback, however it is written', async () => {
      for (const url of LOOPBACK) expectRefused(await register(url), url);
    });

    it('refuses a host name that resolves to loopback, or does not resolve', async () => {
      for (const url of ['https://localhost/hook', 'https://localhost:22/', 'https://hooks.invalid/hook']) {
        const res = await register(url);
        expectRefused(res, url);
        expect(res.body.error?.message).to.include('public');
      }
    });

    it('refuses http, even to a public address', async () => {
      const res = await register('http://93.184.215.14/hook');
      expectRefused(res, 'http');
      expect(res.body.error?.message).to.include('https');
    });

    it('accepts a public address', async () => {
      for (const url of PUBLIC) {
        const res = await register(url);
        expect(res.status, `${url}: ${JSON.stringify(res.body)}`).to.equal(201);
        expect(res.body.url).to.equal(url);
      }
    });
  });

  describe('outside production', () => {
    let server: TestServer;
    let key: string;

    const register = async (url: string): Promise<Answer> => {
      const res = await fetch(`${server.issuer}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ url, events: ['contact.created'] }),
      });
      return { status: res.status, body: await res.json() as Answer['body'] };
    };

    before(async () => {
      server = await startServer();
      key = await keyFor(server);
    });
    after(() => server.stop({ removeData: true }));

    it('accepts loopback, over http too, so tests can receive deliveries', async () => {
      for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost:9000/hook', 'http://[::1]:8080/hook', ...LOOPBACK]) {
        const res = await register(url);
        expect(res.status, `${url}: ${JSON.stringify(res.body)}`).to.equal(201);
      }
    });

    it('still refuses metadata and private addresses', async () => {
      for (const url of INTERNAL) expectRefused(await register(url), url);
    });

    it('still refuses http to anything but loopback', async () => {
      expectRefused(await register('http://93.184.215.14/hook'), 'http');
    });
  });
});
