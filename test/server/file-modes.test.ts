// At rest: the data directory is private to Latchkey's user, and so are the database files, whatever
// the umask or the modes they had before.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteStore } from '../../adapters/sqlite/index.ts';
import { startServer, tempDataDir } from '../helpers/server.ts';

const mode = (path: string) => statSync(path).mode & 0o7777;

/** Runs `work` under a permissive umask, as a careless service manager might set. */
async function withUmask<T>(umask: number, work: () => Promise<T>): Promise<T> {
  const previous = process.umask(umask);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
}

describe('the embedded store\'s files at rest', () => {
  it('boots the server with a new data directory 0700 and database files 0600, under umask 000', async () => {
    const dataDir = join(tempDataDir(), 'new-data');
    // The real server, on the embedded store even when the suite runs on MongoDB.
    const server = await withUmask(0o000, () => startServer({ dataDir, env: { MONGODB_URI: '' } }));
    try {
      expect(mode(dataDir).toString(8)).to.equal('700');
      const files = readdirSync(dataDir).filter((f) => f.startsWith('latchkey.sqlite'));
      expect(files).to.include.members(['latchkey.sqlite', 'latchkey.sqlite-wal', 'latchkey.sqlite-shm']);
      for (const file of files) expect(mode(join(dataDir, file)).toString(8), file).to.equal('600');
    } finally {
      await server.stop({ removeData: true });
    }
  });

  it('makes an existing 0755 directory and 0644 database private at boot', async () => {
    const dataDir = join(tempDataDir(), 'old-data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    await new SqliteStore(dataDir).close();
    for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o644);
    writeFileSync(join(dataDir, 'unrelated.txt'), 'left alone');
    chmodSync(join(dataDir, 'unrelated.txt'), 0o644);

    const store = new SqliteStore(dataDir);
    try {
      expect(mode(dataDir).toString(8)).to.equal('700');
      for (const file of readdirSync(dataDir).filter((f) => f.startsWith('latchkey.sqlite'))) {
        expect(mode(join(dataDir, file)).toString(8), file).to.equal('600');
      }
      expect(mode(join(dataDir, 'unrelated.txt')).toString(8)).to.equal('644');
    } finally {
      await store.close();
    }
  });

  it('leaves a shared sticky directory (such as /tmp) as it is', async () => {
    const dataDir = join(tempDataDir(), 'sticky');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    const store = new SqliteStore(dataDir);
    try {
      expect(mode(dataDir).toString(8)).to.equal('1777');
      expect(mode(join(dataDir, 'latchkey.sqlite')).toString(8)).to.equal('600');
    } finally {
      await store.close();
    }
  });
});
