// Markdown to HTML for the docs pages, with stable anchors and links that work when served.
import MarkdownIt from 'markdown-it';
import type { StateCore, Token } from 'markdown-it';

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens ("Rate limits" -> rate-limits). */
export function slug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** `tokens.md#x` (a link between docs files) -> `/docs/tokens#x` (the page that serves it). */
export function servedHref(href: string): string {
  const match = /^(?:\.\/)?([a-z0-9-]+)\.md(#.*)?$/.exec(href);
  return match ? `/docs/${match[1]}${match[2] ?? ''}` : href;
}

interface Env { ids: Set<string> }

function claim(env: Env, id: string): string | undefined {
  if (id === '' || env.ids.has(id)) return undefined;
  env.ids.add(id);
  return id;
}

function inlineText(token: Token | undefined): string {
  return (token?.children ?? []).filter((c) => c.type === 'text' || c.type === 'code_inline').map((c) => c.content).join('');
}

/** The one `code` in a table row's first cell (a scope name, an error code), if that is all it holds. */
function rowKey(tokens: Token[], trOpen: number): string | undefined {
  const children = tokens[trOpen + 2]?.children ?? [];
  return children.length === 1 && children[0]!.type === 'code_inline' ? children[0]!.content : undefined;
}

/**
 * Every heading gets its slug as id (a repeat gets -1, -2…, as on GitHub); every table row whose
 * first cell is one `code` gets that code as id, so /docs/errors#invalid_scope and
 * /docs/scopes#read:contacts land on their rows. An id already written in the page's HTML wins.
 */
function anchorsAndLinks(state: StateCore): void {
  const env = state.env as Env;
  const { tokens } = state;
  let inBody = false;
  tokens.forEach((token, i) => {
    if (token.type === 'tbody_open') inBody = true;
    if (token.type === 'tbody_close') inBody = false;
    if (token.type === 'heading_open') {
      const base = slug(inlineText(tokens[i + 1]));
      let id = claim(env, base);
      for (let n = 1; id === undefined && base !== ''; n += 1) id = claim(env, `${base}-${n}`);
      if (id !== undefined) token.attrSet('id', id);
    }
    if (token.type === 'tr_open' && inBody) {
      const key = rowKey(tokens, i);
      const id = key === undefined ? undefined : claim(env, key);
      if (id !== undefined) token.attrSet('id', id);
    }
    for (const child of token.children ?? []) {
      const href = child.type === 'link_open' ? child.attrGet('href') : null;
      if (href !== null) child.attrSet('href', servedHref(href));
    }
  });
}

// html: true because the docs are our own files, read from disk at boot, never user input; they
// may carry explicit anchors (<a id="…">) and generated-block comments, which must pass through.
const md = new MarkdownIt({ html: true });
md.core.ruler.push('latchkey_anchors', anchorsAndLinks);

/** Renders one docs page; also returns its ids, for the link check in the tests. */
export function renderMarkdown(source: string): { html: string; ids: Set<string> } {
  const explicit = [...source.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!);
  const env: Env = { ids: new Set(explicit) };
  return { html: md.render(source, env), ids: env.ids };
}
