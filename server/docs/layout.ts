// The docs as a way in: a sidebar by audience (partners first, then operators), an "on this page"
// list of each page's sections, a copy button on each code example, and tables that scroll sideways
// on a phone instead of breaking identifiers letter by letter. Applied once, at boot, to the HTML
// markdown-it made.

/** The sidebar: every page of docs/ under the audience it serves (a page left out goes under "More"). */
export const DOCS_SECTIONS: readonly { readonly audience: string; readonly pages: readonly string[] }[] = [
  { audience: 'Partners', pages: ['getting-started', 'quickstart-node', 'quickstart-python', 'api-keys', 'clients', 'tokens', 'scopes', 'webhooks', 'errors', 'api', 'agents', 'partner-api'] },
  { audience: 'Your account', pages: ['accounts', 'teams'] },
  { audience: 'Operators', pages: ['operations', 'performance', 'mongodb', 'protect-your-api', 'verify-tokens', 'leaked-credentials'] },
];

export interface SidebarSection {
  readonly audience: string;
  readonly pages: { readonly name: string; readonly title: string }[];
}

export function sidebarOf(titles: ReadonlyMap<string, string>): SidebarSection[] {
  const placed = new Set(DOCS_SECTIONS.flatMap((s) => s.pages));
  const sections = DOCS_SECTIONS.map((s) => ({
    audience: s.audience, pages: s.pages.filter((name) => titles.has(name)).map((name) => ({ name, title: titles.get(name)! })),
  }));
  const more = [...titles].filter(([name]) => !placed.has(name)).map(([name, title]) => ({ name, title }));
  return more.length > 0 ? [...sections, { audience: 'More', pages: more }] : sections;
}

/** The page's sections (its h2 headings), for "On this page". */
export function sectionsOf(html: string): { id: string; title: string }[] {
  return [...html.matchAll(/<h2 id="([^"]+)">([\s\S]*?)<\/h2>/g)].map((m) => ({ id: m[1]!, title: m[2]!.replace(/<[^>]+>/g, '') }));
}

/** Code examples get a copy button (static/copy.js); tables a box that scrolls sideways. */
export function withCopyAndScroll(html: string): string {
  let n = 0;
  return html
    .replace(/<pre><code([^>]*)>/g, (_m, attributes: string) => {
      n += 1;
      return `<div class="code-block"><button type="button" class="copy small secondary" data-copy="example-${n}" hidden>Copy<span class="visually-hidden"> example ${n}</span></button><pre tabindex="0"><code id="example-${n}"${attributes}>`;
    })
    .replace(/<\/code><\/pre>/g, '</code></pre></div>')
    .replace(/<table>/g, '<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)"><table>')
    .replace(/<\/table>/g, '</table></div>');
}
