// The docs pages: every docs/*.md, read and rendered once at boot, and the index at /docs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown } from './markdown.ts';
import { catalogTables } from './scope-table.ts';
import { sectionsOf, sidebarOf, withCopyAndScroll } from './layout.ts';

export const DOCS_DIR = join(import.meta.dirname, '..', '..', 'docs');

export interface DocsPage {
  name: string;
  title: string;
  html: string;
  /** Its h2 sections, for "On this page". */
  sections: { id: string; title: string }[];
}

/** The tables the index shows, each taken from the page that holds it (generated from config/). */
const INDEX_TABLES = [
  { heading: 'Scopes', page: 'scopes', block: 'scopes' },
  { heading: 'Token lifetimes', page: 'tokens', block: 'lifetimes' },
  { heading: 'Error codes', page: 'errors', block: 'errors' },
] as const;

function titleOf(source: string, name: string): string {
  return /^# (.+)$/m.exec(source)?.[1]?.trim() ?? name;
}

function generatedBlock(source: string, block: string): string | undefined {
  return new RegExp(`<!-- generated:${block} -->([\\s\\S]*?)<!-- /generated -->`).exec(source)?.[1];
}

/** The examples name http://localhost:3000 (the default issuer); served, they name the running one. */
const EXAMPLE_ISSUER = 'http://localhost:3000';

/** The committed scope tables come from the default catalog; served, they show the running one. */
function withRunningCatalog(source: string, issuer: string): string {
  return (issuer ? source.replaceAll(EXAMPLE_ISSUER, issuer) : source).replace(/<!-- generated:scopes -->[\s\S]*?<!-- \/generated -->/g,
    () => `<!-- generated:scopes -->\n${catalogTables(issuer)}\n<!-- /generated -->`);
}

/**
 * Reads docs/ and renders every page and the index, with `generated` pages (name to Markdown, such
 * as the API reference) among them. Throws at boot if docs/ is missing.
 */
export function loadDocs(dir = DOCS_DIR, issuer = '', generated: ReadonlyMap<string, string> = new Map()): { pages: Map<string, DocsPage>; index: string } {
  const sources = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
    sources.set(file.slice(0, -'.md'.length), withRunningCatalog(readFileSync(join(dir, file), 'utf8'), issuer));
  }
  for (const [name, source] of generated) sources.set(name, source);
  const pages = new Map<string, DocsPage>();
  for (const [name, source] of sources) {
    const html = withCopyAndScroll(renderMarkdown(source).html);
    pages.set(name, { name, title: titleOf(source, name), html, sections: sectionsOf(html) });
  }

  const toc = sidebarOf(new Map([...pages.values()].map((p) => [p.name, p.title])))
    .map((section) => `### ${section.audience}\n\n${section.pages.map((p) => `- [${p.title}](${p.name}.md)`).join('\n')}`).join('\n\n');
  const tables = INDEX_TABLES.map(({ heading, page, block }) => {
    const table = generatedBlock(sources.get(page) ?? '', block);
    const more = `The full page: [${pages.get(page)?.title ?? page}](${page}.md).`;
    return `## ${heading}\n\n${more}\n${table ?? ''}`;
  });
  const index = withCopyAndScroll(renderMarkdown(['## Pages', toc, ...tables].join('\n\n')).html);
  return { pages, index };
}
