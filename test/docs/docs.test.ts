import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { SCOPES } from '../../config/scopes.ts';
import { FILES, render } from '../../scripts/docs.ts';
import { ROOT } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('docs', () => {
  for (const file of FILES) {
    it(`${file} is up to date with config/ (run npm run docs)`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(render(text) === text, `${file} is stale`).to.equal(true);
    });
  }

  it('checks every page of docs/ for staleness (each is in FILES)', () => {
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
    expect(pages.filter((page) => !FILES.includes(page))).to.deep.equal([]);
  });

  it('the README shows the two commands of the contract', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).to.include('npm ci && npm start').and.include('npm ci && npm test');
  });

  describe('served at /docs', () => {
    let server: TestServer;
    before(async () => { server = await startServer(); });
    after(() => server.stop({ removeData: true }));

    it('lists every scope, lifetime and error code from config/', async () => {
      const response = await fetch(`${server.issuer}/docs`);
      expect(response.status).to.equal(200);
      const html = await response.text();
      for (const scope of SCOPES) expect(html).to.include(scope.name).and.include(scope.description);
      expect(html).to.include(humanDuration(LIFETIMES.accessToken));
      expect(html).to.include('id="not_found"');
    });

    it('advertises the whole catalog in discovery', async () => {
      const metadata = await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json() as { scopes_supported: string[] };
      expect(metadata.scopes_supported).to.deep.equal(SCOPES.map((s) => s.name));
    });
  });
});
