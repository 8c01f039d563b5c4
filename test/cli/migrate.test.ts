// `latchkey migrate`: the step a rolling upgrade runs before new instances start (issue 21, defect 5).
// On the embedded store it brings a new data file to the current schema and then has nothing to do;
// MongoDB's migrations, index builds and the refusal of other commands are in test/store/mongodb-migrations.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SCHEMA_VERSION } from '../../adapters/sqlite/migrations.ts';
import { cli } from '../helpers/processes.ts';

describe('latchkey migrate', () => {
  let dataDir: string;
  before(async () => { dataDir = await mkdtemp(join(tmpdir(), 'latchkey-migrate-')); });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('applies every migration to a new data file, prints one JSON object, and then has nothing to do', async () => {
    const env = { DATA_DIR: dataDir, NODE_ENV: 'test' };
    const first = await cli(['migrate', '--json'], env);
    expect(first.code, first.stderr).to.equal(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines, 'one JSON object on stdout').to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.deep.equal({
      store: 'embedded', schema_version_before: 0, schema_version: SCHEMA_VERSION,
      migrations_applied: Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1), indexes_built: [],
    });
    const again = JSON.parse((await cli(['migrate', '--json'], env)).stdout) as Record<string, unknown>;
    expect(again).to.deep.include({ schema_version_before: SCHEMA_VERSION, schema_version: SCHEMA_VERSION });
    expect(again.migrations_applied).to.deep.equal([]);
  });

  it('takes no arguments', async () => {
    const result = await cli(['migrate', 'now'], { DATA_DIR: dataDir, NODE_ENV: 'test' });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('unexpected argument "now"');
  });
});
