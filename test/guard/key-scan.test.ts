// What the request log and error bodies write out of a URL: anything that may be a key, in any
// form, is replaced, a whole delimited piece at a time (or the whole text when a key spans pieces),
// never left behind in an encoded form.
import { expect } from 'chai';
import { generateApiKey } from '../../server/http/api-key-format.ts';
import { redactKeys, scanForKeys } from '../../server/http/key-scan.ts';

const encodeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`).join('');
const encodeTimes = (text: string, times: number) => encodeAll(text).replace(/%/g, `%${'25'.repeat(times - 1)}`);

describe('key scan and redaction', () => {
  const key = generateApiKey('live');
  const shaped = `sk_test_${'Z'.repeat(49)}`; // key format, wrong checksum

  it('redacts the piece that holds a key however it is dressed, and keeps the rest of the path', () => {
    const dressed = [
      key, shaped, `${key.slice(0, 30)}_${key.slice(30)}`, `${shaped.slice(0, 12)}__${shaped.slice(12, 40)}_-_${shaped.slice(40)}`,
      encodeTimes(key, 4), encodeTimes(shaped, 7), encodeTimes(`${shaped.slice(0, 20)}_${shaped.slice(20)}`, 5),
    ];
    for (const piece of dressed) {
      expect(redactKeys(`/api/v1/contacts/${piece}/notes`), piece).to.equal('/api/v1/contacts/[redacted]/notes');
      expect(redactKeys(piece), piece).to.equal('[redacted]');
    }
  });

  it('redacts the whole path when a key spans its pieces, or when it is still encoded after the decoding bound', () => {
    expect(redactKeys(`/api/v1/${key.slice(0, 25)}/${key.slice(25)}`)).to.equal('[redacted]');
    expect(redactKeys(`/api/v1/contacts/${encodeTimes('not a key at all, only encoded many times', 20)}`)).to.equal('/api/v1/contacts/[redacted]');
  });

  it('leaves ordinary paths alone', () => {
    for (const path of ['/api/v1/contacts/ct_0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef', '/docs/api-keys', '/api/v1/contacts/sk_test_short',
      `/api/v1/contacts/${encodeAll('ct_0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdef')}`]) {
      expect(redactKeys(path), path).to.equal(path);
    }
  });

  it('finds a key split by "_" for revocation, and stays cheap on a long crafted URL', () => {
    expect(scanForKeys(`/x?q=${key.slice(0, 9)}_${key.slice(9, 33)}___${key.slice(33)}`).keys).to.deep.equal([key]);
    const crafted = `/x/${'sk_test_'.repeat(2000)}${'%25'.repeat(1000)}`;
    const started = performance.now();
    scanForKeys(crafted);
    redactKeys(crafted);
    expect(performance.now() - started).to.be.below(500);
  });
});
