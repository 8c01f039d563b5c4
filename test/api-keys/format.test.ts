import { expect } from 'chai';
import { API_KEY_PATTERN, checksum, generateApiKey, parseApiKey } from '../../server/http/api-key-format.ts';
import { LastUsedRecorder, LAST_USED_RESOLUTION_MS } from '../../server/api-keys/last-used.ts';
import { parseOverlap } from '../../server/api-keys/service.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { silentLogger } from '../../server/log.ts';
import type { ApiKeyStore } from '../../adapters/contract.ts';

describe('API key format', () => {
  it('is sk_<env>_, 43 random base62 characters, then a 6-character CRC32 checksum', () => {
    for (const env of ['test', 'live'] as const) {
      const key = generateApiKey(env);
      expect(key).to.match(API_KEY_PATTERN);
      expect(key.startsWith(`sk_${env}_`)).to.equal(true);
      expect(key).to.have.length(`sk_${env}_`.length + 43 + 6);
      expect(checksum(key.slice(0, -6))).to.equal(key.slice(-6));
      expect(parseApiKey(key)).to.deep.equal({ environment: env, hint: { prefix: `sk_${env}_`, last4: key.slice(-4) } });
    }
  });

  it('tells a real key from a look-alike without a lookup', () => {
    const key = generateApiKey('live');
    const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
    expect(parseApiKey(flipped)).to.equal(undefined);
    expect(parseApiKey(`${key}x`)).to.equal(undefined);
    expect(parseApiKey(key.replace('sk_live_', 'sk_prod_'))).to.equal(undefined);
    expect(parseApiKey('sk_test_' + 'a'.repeat(49))).to.equal(undefined);
  });

  it('never repeats (256 bits of randomness)', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey('test')));
    expect(keys.size).to.equal(2000);
  });
});

describe('roll overlap', () => {
  it('parses durations up to the maximum', () => {
    expect(parseOverlap('0')).to.equal(0);
    expect(parseOverlap('90m')).to.equal(5400);
    expect(parseOverlap('24h')).to.equal(86400);
    expect(parseOverlap('7d')).to.equal(LIFETIMES.apiKeyMaxOverlap);
    expect(parseOverlap(3600)).to.equal(3600);
    expect(parseOverlap(undefined)).to.equal(86400);
    for (const bad of ['8d', '-1', '1w', 'soon', '1.5h']) expect(() => parseOverlap(bad), bad).to.throw(/overlap must be/);
  });
});

describe('last use recording', () => {
  it('writes a key\'s last use at most once per interval', () => {
    const writes: string[] = [];
    const store = { touchApiKey: async (id: string) => { writes.push(id); } } as unknown as ApiKeyStore;
    const recorder = new LastUsedRecorder(store, silentLogger);
    const t0 = 1_000_000;
    recorder.record('a', t0);
    recorder.record('a', t0 + 10);
    recorder.record('b', t0 + 10);
    recorder.record('a', t0 + LAST_USED_RESOLUTION_MS - 1);
    recorder.record('a', t0 + LAST_USED_RESOLUTION_MS);
    expect(writes).to.deep.equal(['a', 'b', 'a']);
  });
});
