// Every limit that counts by address (sign-in, client authentication, the guard) counts an IPv6
// address by its /64, since one host may use any address in it, and an IPv4-mapped IPv6 address as
// its IPv4 address. The server trusts X-Forwarded-For here (TRUST_PROXY=true).
import { expect } from 'chai';
import { LIMITS } from '../../config/limits.ts';
import { addressKey } from '../../server/limits/failures.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('addresses the limits count by', () => {
  it('groups IPv6 by /64, however written, and maps IPv4-mapped IPv6 to IPv4', () => {
    const same = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:7', '2001:db8:1:2::1.2.3.4'];
    expect(new Set(same.map(addressKey)).size, same.join(' ')).to.equal(1);
    expect(addressKey('2001:db8:1:3::1')).not.to.equal(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:192.0.2.7')).to.equal('192.0.2.7');
    expect(addressKey('::ffff:c000:207')).to.equal('192.0.2.7');
    expect(addressKey('192.0.2.7')).to.equal('192.0.2.7');
    expect(addressKey('fe80::1%eth0')).to.equal(addressKey('fe80::2'));
    expect(addressKey('not an address')).to.equal('not an address');
  });

  it('counts an address sent with a port (ip:port, [v6]:port, [v6]) by its address', () => {
    expect(addressKey('192.0.2.7:4711')).to.equal('192.0.2.7');
    expect(addressKey('[2001:db8:1:2::1]:443')).to.equal(addressKey('2001:db8:1:2::1'));
    expect(addressKey('[2001:db8:1:2::9]')).to.equal(addressKey('2001:db8:1:2::1'));
    expect(addressKey('[::ffff:192.0.2.7]:80')).to.equal('192.0.2.7');
  });

  describe('at the guard', function () {
    this.timeout(60_000);
    const bad = 'sk_test_notakeyatall';
    let server: TestServer;
    before(async () => { server = await startServer({ env: { TRUST_PROXY: 'true' } }); });
    after(() => server.stop({ removeData: true }));

    const contacts = (credential: string, address: string) => fetch(`${server.issuer}/api/v1/contacts`, {
      headers: { authorization: `Bearer ${credential}`, accept: 'application/json', 'x-forwarded-for': address },
    }).then((response) => response.status);

    it('answers 429 to a whole /64 once its addresses together reach the limit; another /64 is counted apart', async () => {
      const failures = await Promise.all(Array.from({ length: LIMITS.guardSourceMaxFailures },
        (_, i) => contacts(bad, `2001:db8:ee:1::${(i + 1).toString(16)}`)));
      expect(failures.every((status) => status === 401), failures.join(' ')).to.equal(true);
      expect(await contacts(bad, '2001:db8:ee:1:abcd::1'), 'the same /64').to.equal(429);
      expect(await contacts(bad, '2001:db8:ee:2::1'), 'another /64').to.equal(401);
    });

    it('counts ::ffff:a.b.c.d as a.b.c.d', async () => {
      await Promise.all(Array.from({ length: LIMITS.guardSourceMaxFailures }, () => contacts(bad, '198.51.100.31')));
      expect(await contacts(bad, '::ffff:198.51.100.31')).to.equal(429);
    });

    it('counts an X-Forwarded-For entry with a port by its address: a new port each time is no new address', async () => {
      const failures = await Promise.all(Array.from({ length: LIMITS.guardSourceMaxFailures },
        (_, i) => contacts(bad, `198.51.100.77:${10_000 + i}`)));
      expect(failures.every((status) => status === 401), failures.join(' ')).to.equal(true);
      expect(await contacts(bad, '198.51.100.77:65000'), 'another port').to.equal(429);
      expect(await contacts(bad, '198.51.100.77'), 'no port').to.equal(429);
    });
  });
});
