// One set of settings for the server and the CLI (issue 26, item 8): both read a .env file in the
// working directory (the environment wins over it); the CLI names on stderr the store, the catalog
// and the settings file it runs on; a command missing a setting it needs names the setting.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { catalogFile, ORDERS, ORDERS_CATALOG } from '../catalog/child.ts';
import { runNode } from '../helpers/processes.ts';
import { tempDataDir } from '../helpers/server.ts';

describe('a .env file for the server and the CLI', function () {
  this.timeout(30_000);

  it('the CLI reads .env from its working directory, says what it runs on, and the environment wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-env-'));
    const dataDir = tempDataDir();
    writeFileSync(join(dir, '.env'), `DATA_DIR=${dataDir}\nLATCHKEY_CATALOG_FILE=${catalogFile(ORDERS_CATALOG)}\nNODE_ENV=development\n`);
    const made = await runNode('cli/latchkey.ts', ['resource-server', 'create', '--resource', ORDERS, '--name', 'Orders', '--json'], {}, 20_000, dir);
    expect(made.code, made.stderr).to.equal(0);
    expect(made.stderr).to.include(`settings from ${join(dir, '.env')}`).and.include(dataDir).and.include('catalog /');
    const overridden = tempDataDir();
    const listed = await runNode('cli/latchkey.ts', ['resource-server', 'list', '--json'], { DATA_DIR: overridden }, 20_000, dir);
    expect(listed.stderr, 'the environment wins over .env').to.include(overridden);
    expect(JSON.parse(listed.stdout)).to.deep.include({ data: [] });
  });

  it('names the setting a command lacks', async () => {
    const refused = await runNode('cli/latchkey.ts', ['resource-server', 'create', '--resource', ORDERS, '--name', 'Orders', '--json'], { DATA_DIR: tempDataDir() });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('LATCHKEY_CATALOG_FILE is not set here').and.include('catalog built-in (LATCHKEY_CATALOG_FILE unset)');
  });
});
