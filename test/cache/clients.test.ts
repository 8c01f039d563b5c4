// The adapter's client cache (server/cache/clients.ts): a hit reads nothing, a change drops every
// entry, a read that began before a change does not put the old row back, and misses are not kept.
import { expect } from 'chai';
import type { ClientRecord } from '../../adapters/contract.ts';
import { ClientCache } from '../../server/cache/clients.ts';

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
  };
  return store;
}

/** A source of credentials changes that the test fires by hand. */
function changes() {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener: () => void) { listeners.add(listener); return () => listeners.delete(listener); },
    fire() { for (const listener of listeners) listener(); },
  };
}

const row = (id: string, name: string) => ({ id, name }) as unknown as ClientRecord;

describe('client cache', () => {
  it('reads a client once, and again after a change', async () => {
    const rows = new Map([['c1', row('c1', 'v1')]]);
    const store = fakeStore(rows);
    const changed = changes();
    const cache = new ClientCache(store, changed);
    expect((await cache.find('c1'))?.name).to.equal('v1');
    rows.set('c1', row('c1', 'v2'));
    expect((await cache.find('c1'))?.name, 'cached').to.equal('v1');
    expect(store.reads).to.equal(1);
    changed.fire();
    expect((await cache.find('c1'))?.name).to.equal('v2');
  });

  it('does not keep a row read before a change', async () => {
    const rows = new Map([['c1', row('c1', 'old')]]);
    const store = fakeStore(rows);
    const changed = changes();
    const cache = new ClientCache(store, changed);
    let release!: () => void;
    store.gate = new Promise((resolve) => { release = resolve; });
    const slow = cache.find('c1');
    rows.set('c1', row('c1', 'new'));
    changed.fire();
    release();
    expect((await slow)?.name).to.equal('old');
    store.gate = undefined;
    expect((await cache.find('c1'))?.name).to.equal('new');
  });

  it('does not remember a client that does not exist', async () => {
    const rows = new Map<string, ClientRecord>();
    const store = fakeStore(rows);
    const cache = new ClientCache(store, changes());
    expect(await cache.find('c9')).to.equal(undefined);
    rows.set('c9', row('c9', 'created elsewhere'));
    expect((await cache.find('c9'))?.name).to.equal('created elsewhere');
  });
});
