// Every page of docs/ served at /docs/<name>, and every link between the pages landing on its target.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ERROR_CODES } from '../../config/errors.ts';
import { SCOPES } from '../../config/scopes.ts';
import { ROOT } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const NAMES = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -'.md'.length));
/** Pages made at boot rather than read from docs/: the API reference (server/docs/api-reference.ts). */
const GENERATED = ['api'];

function idsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
}

function hrefsOf(html: string): string[] {
  return [...html.matchAll(/\bhref="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

describe('docs pages', () => {
  let server: TestServer;
  const served = new Map<string, string>();

  before(async () => {
    server = await startServer();
    for (const path of ['', ...[...NAMES, ...GENERATED].map((n) => `/${n}`)]) {
      const response = await fetch(`${server.issuer}/docs${path}`);
      expect(response.status, `/docs${path}`).to.equal(200);
      served.set(`/docs${path}`, await response.text());
    }
  });
  after(() => server.stop({ removeData: true }));

  it('serves every page of docs/ with the strict CSP and the stylesheet', async () => {
    expect(NAMES).to.include.members(['tokens', 'errors', 'scopes', 'leaked-credentials']);
    for (const name of [...NAMES, ...GENERATED]) {
      const response = await fetch(`${server.issuer}/docs/${name}`);
      expect(response.status, name).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
      expect(response.headers.get('content-security-policy')).to.include("default-src 'none'").and.include("style-src 'self'");
      expect(await response.text()).to.include('<link rel="stylesheet" href="/static/latchkey.css">');
    }
  });

  it('lists every page, by its title, on /docs', () => {
    const index = served.get('/docs')!;
    for (const name of NAMES) {
      const title = /^# (.+)$/m.exec(readFileSync(join(ROOT, 'docs', `${name}.md`), 'utf8'))![1]!;
      expect(index, name).to.include(`<a href="/docs/${name}">${title}</a>`);
    }
    expect(index).to.include('<a href="/docs/api">API reference</a>');
  });

  it('answers an unknown page 404 with the error body', async () => {
    const response = await fetch(`${server.issuer}/docs/no-such-page`);
    expect(response.status).to.equal(404);
    const body = await response.json() as { error: { code: string } };
    expect(body.error.code).to.equal('not_found');
  });

  it('has an anchor for every error code at /docs/errors#<code> and every scope at /docs/scopes#<scope>', () => {
    const errors = idsOf(served.get('/docs/errors')!);
    for (const code of Object.keys(ERROR_CODES)) expect(errors.has(code), `/docs/errors#${code}`).to.equal(true);
    const scopes = idsOf(served.get('/docs/scopes')!);
    for (const scope of SCOPES) expect(scopes.has(scope.name), `/docs/scopes#${scope.name}`).to.equal(true);
  });

  it('gives every heading an id', () => {
    for (const [path, html] of served) {
      const bare = [...html.matchAll(/<h[1-6](\s[^>]*)?>/g)].filter((m) => !/\bid="/.test(m[1] ?? ''));
      expect(bare.map((m) => m[0]), path).to.deep.equal([]);
    }
  });

  it('has no broken link between pages: each target page and #anchor exists', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const [path, html] of served) {
      for (const href of hrefsOf(html)) {
        if (href.endsWith('.md') || href.includes('.md#')) broken.push(`${path}: ${href} (not rewritten to /docs/…)`);
        const target = href.startsWith('#') ? `${path}${href}` : href;
        if (!target.startsWith('/docs')) continue;
        checked += 1;
        const [page, anchor] = target.split('#') as [string, string | undefined];
        const targetHtml = served.get(page.replace(/\/$/, ''));
        if (targetHtml === undefined) broken.push(`${path}: ${href} (no such page)`);
        else if (anchor !== undefined && !idsOf(targetHtml).has(decodeURIComponent(anchor))) broken.push(`${path}: ${href} (no such anchor)`);
      }
    }
    expect(broken).to.deep.equal([]);
    expect(checked, 'links checked').to.be.greaterThan(NAMES.length * 2);
  });

  it('has no relative .md link in docs/ that points to a missing page', () => {
    const missing: string[] = [];
    for (const name of NAMES) {
      const source = readFileSync(join(ROOT, 'docs', `${name}.md`), 'utf8');
      for (const [, target] of source.matchAll(/\]\(([^)#\s]+\.md)(#[^)]*)?\)/g)) {
        if (!NAMES.includes(target!.replace(/^\.\//, '').slice(0, -'.md'.length))) missing.push(`${name}.md -> ${target}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });
});
