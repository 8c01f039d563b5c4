// docs/protect-your-api.md against config/ and the example: its numbers are the library's, its
// catalog is the example's, and the docs generator has nothing to change in it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { RESOURCE_SERVER_LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { render } from '../../scripts/docs.ts';
import { ROOT } from '../helpers/processes.ts';

const PAGE = readFileSync(join(ROOT, 'docs/protect-your-api.md'), 'utf8');

describe('docs/protect-your-api.md', () => {
  it('states every resource-server bound as config/lifetimes.ts has it', () => {
    const marked = [...PAGE.matchAll(/<!-- resource-server:(\w+) -->([\s\S]*?)<!-- \/resource-server -->/g)];
    expect(marked.map((m) => m[1]).sort()).to.deep.equal(Object.keys(RESOURCE_SERVER_LIFETIMES).sort());
    for (const [, name, text] of marked) {
      expect(text, name).to.equal(humanDuration(RESOURCE_SERVER_LIFETIMES[name as keyof typeof RESOURCE_SERVER_LIFETIMES]));
    }
  });

  it('is up to date with the docs generator (npm run docs)', () => {
    expect(render(PAGE) === PAGE).to.equal(true);
  });

  it('shows the example\'s catalog file as it is', () => {
    const shown = /## 1\. Declare[\s\S]*?```json\n([\s\S]*?)```/.exec(PAGE)![1]!;
    const example = readFileSync(join(ROOT, 'examples/orders-api/catalog.json'), 'utf8');
    expect(JSON.parse(shown)).to.deep.equal(JSON.parse(example));
  });
});
