// A key in a URL, however it is dressed: glued to more characters, with an upper-case prefix,
// split by separators, percent-encoded more than once. Each is refused, the key revoked, and
// neither the answer nor the log shows it.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { capturingLogger, startServer, type TestServer } from '../helpers/server.ts';

const encodeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`).join('');
const split = (key: string, separator: string) => `${key.slice(0, 20)}${separator}${key.slice(20)}`;
/** Percent-encoded `times` times: every character once, then each "%" again. */
const encodeTimes = (text: string, times: number) => encodeAll(text).replace(/%/g, `%${'25'.repeat(times - 1)}`);
/** The random part broken up by `separator` every `every` characters. */
const chop = (key: string, separator: string, every: number) => key.slice(0, 8) + key.slice(8).match(new RegExp(`.{1,${every}}`, 'g'))!.join(separator);

const EVASIONS: Record<string, (key: string) => string> = {
  'followed by a letter in the path': (k) => `/api/v1/contacts/${k}x`,
  'followed by a digit in the path': (k) => `/api/v1/contacts/${k}7`,
  'followed by letters in the query': (k) => `/api/v1/contacts?q=${k}abc`,
  'with an upper-case prefix': (k) => `/api/v1/contacts/${k.replace('sk_test_', 'SK_TEST_')}`,
  'with a mixed-case prefix, glued to a digit': (k) => `/api/v1/contacts?q=${k.replace('sk_test_', 'Sk_TeSt_')}9`,
  'split by + in the query': (k) => `/api/v1/contacts?q=${split(k, '+')}`,
  'split by + in the path': (k) => `/api/v1/contacts/${split(k, '+')}`,
  'split by %00 in the path': (k) => `/api/v1/contacts/${split(k, '%00')}`,
  'split by %00 in the query': (k) => `/api/v1/contacts?q=${split(k, '%00')}`,
  'split by %20 and %09': (k) => `/api/v1/contacts?q=${k.slice(0, 10)}%20${k.slice(10, 30)}%09${k.slice(30)}`,
  'split by an encoded + (%2B)': (k) => `/api/v1/contacts?q=${split(k, '%2B')}`,
  'percent-encoded once, every character': (k) => `/api/v1/contacts?q=${encodeAll(k)}`,
  'percent-encoded twice': (k) => `/api/v1/contacts?q=${encodeAll(k).replace(/%/g, '%25')}`,
  'percent-encoded three times': (k) => `/api/v1/contacts/${encodeAll(k).replace(/%/g, '%2525')}`,
  'double-encoded and split by an encoded NUL': (k) => `/docs?ref=${encodeAll(split(k, '\0')).replace(/%/g, '%25')}`,
  'split by _ in its random part, in the path': (k) => `/api/v1/contacts/${split(k, '_')}`,
  'split by _ every 7 characters, in the query': (k) => `/api/v1/contacts?q=${chop(k, '_', 7)}`,
  'split by runs of _ and -': (k) => `/api/v1/contacts/${chop(k, '__-_', 5)}`,
  'split by _ and percent-encoded twice': (k) => `/api/v1/contacts/${encodeTimes(chop(k, '_', 10), 2)}`,
  'percent-encoded four times': (k) => `/api/v1/contacts/${encodeTimes(k, 4)}`,
  'percent-encoded ten times, in the query': (k) => `/api/v1/contacts?q=${encodeTimes(k, 10)}`,
};

describe('a key sent in a URL, evasions', () => {
  let server: TestServer;
  let pepper: Pepper;
  let accountId: string;
  let caller: string;
  const log = capturingLogger();

  const newKey = async () => (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' })).key;

  before(async () => {
    server = await startServer({ log });
    ({ pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger));
    accountId = (await server.createUser()).accountId;
    caller = await newKey();
  });
  after(() => server.stop({ removeData: true }));

  for (const [name, url] of Object.entries(EVASIONS)) {
    it(`refuses and revokes a key ${name}`, async () => {
      const key = await newKey();
      const before = log.lines.length;
      // A valid credential in the header too: without the URL check the route would answer (and echo the id).
      const res = await fetch(`${server.issuer}${url(key)}`, { headers: { accept: 'application/json', authorization: `Bearer ${caller}` } });
      const text = await res.text();
      expect(res.status, text).to.equal(400);
      const body = JSON.parse(text) as { error: { code: string; key_revoked?: boolean } };
      expect(body.error.code).to.equal('credential_in_url');
      expect(body.error.key_revoked).to.equal(true);

      const after = await call(server.issuer, 'GET', '/api/v1/contacts', key);
      expect(after.status).to.equal(401);
      expect(after.body.error?.message).to.include('exposed in a URL');

      const logged = log.lines.slice(before).join('\n');
      expect(logged, 'the request is logged').to.include('"message":"request"');
      for (const part of [key, key.slice(8, 20), key.slice(20, 36), key.slice(-13)]) {
        expect(text, 'not in the answer').not.to.include(part);
        expect(logged, 'not in the log').not.to.include(part);
      }
    });
  }

  it('answers an id that only looks like a key pieced together 404, echoing and logging none of it', async () => {
    const lookalike = chop(`sk_test_${'Q'.repeat(49)}`, '_', 6);
    const before = log.lines.length;
    const res = await fetch(`${server.issuer}/api/v1/contacts/${encodeTimes(lookalike, 5)}`, { headers: { accept: 'application/json', authorization: `Bearer ${caller}` } });
    const text = await res.text();
    expect(res.status, text).to.equal(404);
    expect(text).to.include('[redacted]');
    const logged = log.lines.slice(before).join('\n');
    expect(logged).to.include('"path":"/api/v1/contacts/[redacted]"');
    for (const seen of [text, logged]) {
      expect(seen).not.to.include('QQQQQQ');
      expect(seen).not.to.match(/%(25)+51/); // Q, still encoded
    }
  });

  it('refuses a URL still encoded after 16 rounds of decoding, and logs none of it', async () => {
    const before = log.lines.length;
    const res = await fetch(`${server.issuer}/api/v1/contacts/${encodeTimes('anything at all, long enough to hold a key, really', 20)}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${caller}` },
    });
    const text = await res.text();
    expect(res.status, text).to.equal(400);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).to.equal('credential_in_url');
    expect(log.lines.slice(before).join('\n')).to.include('"path":"/api/v1/contacts/[redacted]"');
  });

  it('still answers a URL with no key, and still refuses an invalid key-shaped string without revoking anything', async () => {
    expect((await call(server.issuer, 'GET', '/api/v1/contacts?q=sk_test_short', caller)).status).to.equal(200);
    const shaped = `sk_test_${'A'.repeat(49)}`;
    const res = await fetch(`${server.issuer}/api/v1/contacts?q=${shaped}`, { headers: { accept: 'application/json' } });
    expect(res.status).to.equal(400);
    const body = await res.json() as { error: { code: string; key_revoked?: boolean } };
    expect(body.error).to.deep.include({ code: 'credential_in_url' });
    expect(body.error.key_revoked).to.equal(undefined);
    expect(log.lines.join('\n')).not.to.include(shaped);
    expect((await call(server.issuer, 'GET', '/api/v1/contacts', caller)).status, 'the caller is untouched').to.equal(200);
  });
});
