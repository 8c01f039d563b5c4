// A wrong LATCHKEY_CATALOG_FILE (or LATCHKEY_PARTNER_API) stops the boot with one line naming the
// entry and the field, as every other setting does.
import { expect } from 'chai';
import { runNode } from '../helpers/processes.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';
import { ORDERS_CATALOG, catalogFile } from './child.ts';

/** The orders catalog with one change. */
function changed(edit: (c: { resources: Record<string, unknown>[] }) => void): unknown {
  const copy = structuredClone(ORDERS_CATALOG) as unknown as { resources: Record<string, unknown>[] };
  edit(copy);
  return copy;
}

function scopeOf(c: { resources: Record<string, unknown>[] }, i: number): Record<string, unknown> {
  return (c.resources[0]!.scopes as Record<string, unknown>[])[i]!;
}

async function boot(env: Record<string, string>) {
  const port = await freePort();
  return runNode('server/main.ts', [], { NODE_ENV: 'test', PORT: String(port), ISSUER: `http://localhost:${port}`, DATA_DIR: tempDataDir(), ...env });
}

async function expectRefused(content: unknown, message: string | RegExp): Promise<void> {
  const result = await boot({ LATCHKEY_CATALOG_FILE: catalogFile(content) });
  expect(result.code, result.stdout).to.not.equal(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).to.have.length(1);
  if (typeof message === 'string') expect(lines[0]).to.equal(`latchkey: invalid setting ${message}`);
  else expect(lines[0]).to.match(message);
  expect(result.stdout).to.not.include('latchkey started');
}

describe('catalog file validation at boot', function () {
  this.timeout(60_000);

  it('names the entry and the field of a malformed scope name', async () => {
    await expectRefused(changed((c) => { scopeOf(c, 1).name = 'Read Orders'; }),
      'LATCHKEY_CATALOG_FILE resources[0].scopes[1].name: "Read Orders" is not a valid scope name (lowercase letters and _, optionally one \':\')');
  });

  it('refuses a file it cannot read, without starting', async () => {
    const result = await boot({ LATCHKEY_CATALOG_FILE: '/nonexistent/catalog.json' });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal('latchkey: invalid setting LATCHKEY_CATALOG_FILE: cannot read "/nonexistent/catalog.json" (ENOENT)');
  });

  it('refuses a file that is not JSON', async () => {
    await expectRefused('{"resources": [', /^latchkey: invalid setting LATCHKEY_CATALOG_FILE: is not valid JSON/);
  });

  it('refuses an unknown field, naming it', async () => {
    await expectRefused(changed((c) => { scopeOf(c, 0).audience = 'x'; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[0\]\.audience: unknown field; the fields are name, description, use_case, consent, self_serve$/);
    await expectRefused({ resources: [], extra: 1 }, /LATCHKEY_CATALOG_FILE extra: unknown field/);
  });

  it('refuses a scope name used twice, in the file or by a built-in scope', async () => {
    await expectRefused(changed((c) => { scopeOf(c, 1).name = 'read:orders'; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[1\]\.name: "read:orders" is already a scope/);
    await expectRefused(changed((c) => { scopeOf(c, 0).name = 'read:contacts'; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[0\]\.name: "read:contacts" is already a scope/);
  });

  it('refuses a resource that is not an absolute https URL (http only for loopback hosts)', async () => {
    await expectRefused(changed((c) => { c.resources[0]!.resource = 'orders'; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.resource: "orders" is not an absolute https URL/);
    await expectRefused(changed((c) => { c.resources[0]!.resource = 'http://orders.example.com'; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.resource: "http:\/\/orders\.example\.com" must use https/);
    await expectRefused(changed((c) => { c.resources[0]!.resource = 'https://orders.example.com/#x'; }),
      /resources\[0\]\.resource: .* must not contain a fragment/);
  });

  it('refuses the issuer or the built-in API as a resource', async () => {
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    for (const resource of [`${issuer}/api`, issuer]) {
      const file = catalogFile(changed((c) => { c.resources[0]!.resource = resource; }));
      const result = await runNode('server/main.ts', [], { NODE_ENV: 'test', PORT: String(port), ISSUER: issuer, DATA_DIR: tempDataDir(), LATCHKEY_CATALOG_FILE: file });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^latchkey: invalid setting LATCHKEY_CATALOG_FILE resources\[0\]\.resource: .* is Latchkey's own/);
    }
  });

  it('refuses a scope without description, use_case or consent', async () => {
    await expectRefused(changed((c) => { delete scopeOf(c, 0).description; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[0\]\.description: is required/);
    await expectRefused(changed((c) => { scopeOf(c, 1).use_case = '  '; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[1\]\.use_case: is required/);
    await expectRefused(changed((c) => { delete scopeOf(c, 1).consent; }),
      /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes\[1\]\.consent: is required: true .* or false/);
  });

  it('refuses a resource without a name or scopes', async () => {
    await expectRefused(changed((c) => { delete c.resources[0]!.name; }), /LATCHKEY_CATALOG_FILE resources\[0\]\.name: is required/);
    await expectRefused(changed((c) => { c.resources[0]!.scopes = []; }), /LATCHKEY_CATALOG_FILE resources\[0\]\.scopes: is required/);
  });

  it('refuses a LATCHKEY_PARTNER_API other than on or off', async () => {
    const result = await boot({ LATCHKEY_PARTNER_API: 'maybe' });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal('latchkey: invalid setting LATCHKEY_PARTNER_API: "maybe" is not allowed; use on or off');
  });

  it('the CLI refuses the same file with the same message', async () => {
    const file = catalogFile(changed((c) => { scopeOf(c, 1).name = 'Read Orders'; }));
    const result = await runNode('cli/latchkey.ts', ['key', 'list', '--account', 'acc_x', '--json'], { DATA_DIR: tempDataDir(), LATCHKEY_CATALOG_FILE: file });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.include('LATCHKEY_CATALOG_FILE resources[0].scopes[1].name: "Read Orders" is not a valid scope name');
  });
});
