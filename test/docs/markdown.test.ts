// The docs renderer's anchors and links, on small inputs.
import { expect } from 'chai';
import { renderMarkdown, servedHref, slug } from '../../server/docs/markdown.ts';

describe('docs markdown', () => {
  it('gives headings GitHub slugs, numbering repeats', () => {
    const { html } = renderMarkdown('# Behind a proxy (https)\n\n## Notes\n\n## Notes\n');
    expect(html).to.include('<h1 id="behind-a-proxy-https">').and.include('<h2 id="notes">').and.include('<h2 id="notes-1">');
    expect(slug('Latchkey\'s own routes')).to.equal('latchkeys-own-routes');
  });

  it('keeps explicit HTML anchors, and never gives their id to anything else', () => {
    const { html } = renderMarkdown('<a id="invalid_scope"></a>\n\n| Code |\n| --- |\n| `invalid_scope` |\n| `not_found` |\n');
    expect(html).to.include('<a id="invalid_scope"></a>').and.include('<tr id="not_found">');
    expect(html.match(/id="invalid_scope"/g)).to.have.length(1);
  });

  it('anchors a table row by the code in its first cell', () => {
    const { html } = renderMarkdown('| Scope | Meaning |\n| --- | --- |\n| `read:contacts` | See your contacts |\n| plain text | no id |\n');
    expect(html).to.include('<tr id="read:contacts">').and.include('<tr>\n<td>plain text</td>');
  });

  it('turns links between docs files into served paths', () => {
    expect(servedHref('tokens.md')).to.equal('/docs/tokens');
    expect(servedHref('errors.md#invalid_scope')).to.equal('/docs/errors#invalid_scope');
    expect(servedHref('#rate-limits')).to.equal('#rate-limits');
    expect(servedHref('https://example.com/x.md')).to.equal('https://example.com/x.md');
    expect(renderMarkdown('See [errors](errors.md#rate_limited).').html).to.include('<a href="/docs/errors#rate_limited">errors</a>');
  });
});
