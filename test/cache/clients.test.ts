// The adapter's client cache (server/cache/clients.ts): a hit reads nothing, a change drops every
// entry, a read that began before a change does not put the old row back, and misses are not kept.
import { expect } from 'chai';
import type { ClientRecord } from '../../adapters/contract.ts';
import { ClientCache } from '../../server/cache/clients.ts';
import { changeSignalOf, stopChangeSignal } from '../../server/cache/change-signal.ts';

function fakeStore(rows: Map<string, ClientRecord>) {
  const store = {
    reads: 0,
    gate: undefined as Promise<void> | undefined,
    async findClient(id: string) {
      store.reads += 1;
      const row = rows.get(id);
      await store.gate;
      return row;
    },
    async readCounter() { return { count: 1, resetAt: new Date(8.64e15) }; },
  };
  return store;
}

const row = (id: string, name: string) => ({ id, name }) as unknown as ClientRecord;

/** The signal's first read (at start) drops the caches once; let it pass. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('client cache', () => {
  const stores: object[] = [];
  after(() => stores.forEach(stopChangeSignal));

  it('reads a client once, and again after a change', async () => {
    const rows = new Map([['c1', row('c1', 'v1')]]);
    const store = fakeStore(rows);
    stores.push(store);
    const cache = new ClientCache(store);
    await settled();
    expect((await cache.find('c1'))?.name).to.equal('v1');
    rows.set('c1', row('c1', 'v2'));
    expect((await cache.find('c1'))?.name, 'cached').to.equal('v1');
    expect(store.reads).to.equal(1);
    changeSignalOf(store).notifyLocal();
    expect((await cache.find('c1'))?.name).to.equal('v2');
  });

  it('does not keep a row read before a change', async () => {
    const rows = new Map([['c1', row('c1', 'old')]]);
    const store = fakeStore(rows);
    stores.push(store);
    const cache = new ClientCache(store);
    let release!: () => void;
    store.gate = new Promise((resolve) => { release = resolve; });
    const slow = cache.find('c1');
    rows.set('c1', row('c1', 'new'));
    changeSignalOf(store).notifyLocal();
    release();
    expect((await slow)?.name).to.equal('old');
    store.gate = undefined;
    expect((await cache.find('c1'))?.name).to.equal('new');
  });

  it('does not remember a client that does not exist', async () => {
    const rows = new Map<string, ClientRecord>();
    const store = fakeStore(rows);
    stores.push(store);
    const cache = new ClientCache(store);
    expect(await cache.find('c9')).to.equal(undefined);
    rows.set('c9', row('c9', 'created elsewhere'));
    expect((await cache.find('c9'))?.name).to.equal('created elsewhere');
  });
});
