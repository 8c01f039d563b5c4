// The secret list's rules, without a server: what rotation keeps, ends, revokes and prunes.
import { expect } from 'chai';
import type { ClientSecretRecord } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { isLive, newestLiveHash, prune, rotate } from '../../server/clients/secret-rotation.ts';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2027-01-10T00:00:00Z');
const secret = (id: string, fields: Partial<ClientSecretRecord> = {}): ClientSecretRecord => ({
  id, hash: `hash-${id}`, last4: id.slice(-4), createdAt: new Date(now.getTime() - 30 * DAY),
  expiresAt: undefined, revokedAt: undefined, revokedReason: undefined, ...fields,
});

describe('client secret rotation rules', () => {
  it('gives the previous newest an end of now + overlap, and keeps an older overlap end as it was', () => {
    const olderEnd = new Date(now.getTime() + 3600_000);
    const list = rotate([secret('cs_b'), secret('cs_a', { expiresAt: olderEnd })], secret('cs_c'), now, 86400, false);
    expect(list.map((s) => s.id)).to.deep.equal(['cs_c', 'cs_b', 'cs_a']);
    expect(list[1]!.expiresAt).to.deep.equal(new Date(now.getTime() + DAY));
    expect(list[2]!.expiresAt).to.deep.equal(olderEnd);
    expect(list.every((s) => isLive(s, now))).to.equal(true);
    expect(newestLiveHash(list, now)).to.equal('hash-cs_c');
  });

  it('revokes the previous newest with overlap 0, and every live older one when leaked', () => {
    const none = rotate([secret('cs_a')], secret('cs_b'), now, 0, false);
    expect(none[1]).to.deep.include({ revokedAt: now, revokedReason: 'rotated with no overlap' });
    const leaked = rotate([secret('cs_b'), secret('cs_a', { expiresAt: new Date(now.getTime() + DAY) })], secret('cs_c'), now, 3600, true);
    expect(leaked.slice(1).map((s) => s.revokedReason)).to.deep.equal(['reported_leaked', 'reported_leaked']);
    expect(leaked.filter((s) => isLive(s, now)).map((s) => s.id)).to.deep.equal(['cs_c']);
  });

  it('never revives a revoked secret, and prunes those dead for longer than the history limit', () => {
    const keptFor = LIMITS.retiredClientSecretKeptFor * 1000;
    const revoked = secret('cs_r', { revokedAt: new Date(now.getTime() - 1000), revokedReason: 'reported_leaked' });
    const old = secret('cs_o', { expiresAt: new Date(now.getTime() - keptFor - 1000) });
    const list = rotate([secret('cs_n'), revoked, old], secret('cs_x'), now, 3600, false);
    expect(list.map((s) => s.id)).to.deep.equal(['cs_x', 'cs_n', 'cs_r']);
    expect(list[2]).to.deep.equal(revoked);
    expect(prune([old], now)).to.deep.equal([]);
  });
});
