// Contract: the rate limits' counters, shared by every instance.
import { expect } from 'chai';
import type { Store } from '../../../adapters/contract.ts';
import { randomBase62 } from '../../../server/secrets.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function counterContract(store: () => Store): void {
  describe('rate-limit counters', () => {
    it('counts atomically: 30 parallel hits see 1 to 30, each once', async () => {
      const key = `k_${randomBase62(10)}`;
      const counts = (await Promise.all(Array.from({ length: 30 }, () => store().hitCounter(key, 60)))).map((c) => c.count);
      expect([...counts].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
      expect((await store().readCounter(key))?.count).to.equal(30);
    });

    it('starts a new window when the old one has ended, and resets', async () => {
      const key = `k_${randomBase62(10)}`;
      const first = await store().hitCounter(key, 1);
      expect(first.count).to.equal(1);
      expect(first.resetAt.getTime()).to.be.within(Date.now(), Date.now() + 1100);
      expect((await store().hitCounter(key, 1)).count).to.equal(2);
      await sleep(1100);
      expect(await store().readCounter(key), 'the window has ended').to.equal(undefined);
      expect((await store().hitCounter(key, 60)).count).to.equal(1);
      await store().resetCounter(key);
      expect(await store().readCounter(key)).to.equal(undefined);
      expect(await store().readCounter(`k_${randomBase62(10)}`)).to.equal(undefined);
    });
  });
}
