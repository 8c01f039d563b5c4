// Group commit in the embedded store (adapters/sqlite/database.ts): concurrent writes share one
// commit and one fsync of the log; a store call resolves only once what it wrote is committed and
// synced; a failing change rolls back alone; a batch that cannot be made durable fails every caller
// with StoreUnavailableError and tells the listeners, which drop what they cached.
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { StoreUnavailableError, type OutgoingMail } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { SqliteStore } from '../../adapters/sqlite/index.ts';
import { generateSortableId, randomBase62 } from '../../server/secrets.ts';
import { tempDataDir } from '../helpers/server.ts';

const mail = (): OutgoingMail => ({ id: generateSortableId('mail'), to: 'someone@example.com', template: 'verify_email', sealed: randomBase62(40), createdAt: new Date() });

describe('group commit in the embedded store', () => {
  let dir: string;
  let store: SqliteStore;
  let reader: DatabaseSync | undefined;
  beforeEach(() => {
    dir = tempDataDir();
    store = new SqliteStore(dir);
  });
  afterEach(async () => {
    reader?.close();
    reader = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Whether another connection to the file sees the mail: only committed rows are visible there. */
  const committed = (id: string) => {
    reader ??= new DatabaseSync(join(dir, 'latchkey.sqlite'), { readOnly: true });
    return reader.prepare('SELECT 1 FROM mail_outbox WHERE id = ?').get(id) !== undefined;
  };

  it('fifty concurrent writes share a commit and an fsync, and each resolves only once it is committed', async () => {
    const before = { commits: store.commits(), syncs: store.syncs() };
    const mails = Array.from({ length: 50 }, mail);
    const seen = await Promise.all(mails.map(async (m) => {
      await store.writeAlong({ mails: [m] });
      return committed(m.id);
    }));
    expect(seen.filter(Boolean), 'visible to another connection when the call resolves').to.have.length(50);
    expect(store.commits() - before.commits, 'commits').to.be.within(1, 2);
    expect(store.syncs() - before.syncs, 'fsyncs').to.be.within(1, 2);
  });

  it('a batch that reaches its size commits, and the writes after it open the next', async () => {
    const before = store.commits();
    const count = LIMITS.groupCommitMaxStatements + 200;
    const mails = Array.from({ length: count }, mail);
    await Promise.all(mails.map((m) => store.writeAlong({ mails: [m] })));
    expect(store.commits() - before, 'commits').to.be.at.least(2);
    expect(mails.filter((m) => committed(m.id)), 'every write committed').to.have.length(count);
  });

  it('one write alone commits at once (no window to wait for), and a write after it is its own batch', async () => {
    const first = mail();
    await store.writeAlong({ mails: [first] });
    const commits = store.commits();
    const second = mail();
    await store.writeAlong({ mails: [second] });
    expect(store.commits()).to.equal(commits + 1);
    expect(committed(first.id) && committed(second.id)).to.equal(true);
  });

  it('a change that fails in a batch rolls back alone, all of it; the others in the batch are kept', async () => {
    const [kept, alsoKept, lost] = [mail(), mail(), mail()];
    const results = await Promise.allSettled([
      store.writeAlong({ mails: [kept] }),
      store.writeAlong({ mails: [lost, { ...kept }] }), // its second mail repeats an id: the whole change fails
      store.writeAlong({ mails: [alsoKept] }),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect([committed(kept.id), committed(alsoKept.id)]).to.deep.equal([true, true]);
    expect(committed(lost.id), 'the failed change left nothing').to.equal(false);
  });

  it('when the log cannot be synced, every caller of the batch gets StoreUnavailableError and the listeners are told', async () => {
    let told = 0;
    store.onCredentialsChange(() => { told += 1; });
    // The write-ahead log vanishes under the store (a disk gone wrong): its commits cannot be made durable.
    unlinkSync(join(dir, 'latchkey.sqlite-wal'));
    const results = await Promise.allSettled([mail(), mail(), mail()].map((m) => store.writeAlong({ mails: [m] })));
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason).to.be.instanceOf(StoreUnavailableError);
      expect(reason.message).to.match(/could not fsync/);
    }
    expect(told, 'caches built on what the batch may have shown are dropped').to.be.at.least(1);
  });
});
