// The shared layout other pages build on (the header's nav, extra stylesheets, the secret box),
// the date format, and the stylesheet's colours against WCAG AA.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import ejs from 'ejs';
import { formatDate } from '../../server/portal/format.ts';

const VIEWS = join(import.meta.dirname, '..', '..', 'views');
const CSS = readFileSync(join(import.meta.dirname, '..', '..', 'static', 'latchkey.css'), 'utf8');

function render(template: string, data: Record<string, unknown>): string {
  return ejs.render(template, data, { filename: join(VIEWS, 'test.ejs') });
}

/** WCAG 2.x contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const colour = (name: string) => new RegExp(`--${name}: (#[0-9a-f]{6})`).exec(CSS)![1]!;

describe('portal layout', () => {
  it('marks the current tab, names the account and takes extra stylesheets', () => {
    const html = render("<%- include('partials/header', { title: 'Apps', wide: true, nav: 'apps', styles: ['/static/consent.css'] }) %><%- include('partials/footer') %>",
      { portal: { account: 'Acme <Corp>', email: 'a@example.com', csrf: 'tok' } });
    expect(html).to.include('<a href="/portal/apps" aria-current="page">OAuth apps</a>');
    expect(html).to.include('href="/portal/audit">Audit log').and.include('href="/portal/connected-apps">Connected apps');
    expect(html).to.include('Acme &lt;Corp&gt;').and.include('action="/portal/logout"').and.include('value="tok"');
    expect(html).to.include('<link rel="stylesheet" href="/static/consent.css">').and.include('<main id="main" class="card wide">');
  });

  it('leaves pages without a session (login, consent) as they were: no nav, no script', () => {
    const html = render("<%- include('partials/header', { title: 'Sign in' }) %><%- include('partials/footer') %>", {});
    expect(html).not.to.include('<nav');
    expect(html).not.to.include('<script');
    expect(html).to.include('<p class="brand">');
  });

  it('shows a secret with a warning, a copy button named for it, and focus on it', () => {
    const html = render("<%- include('partials/secret', { heading: 'New secret', secret: 's3cr3t', id: 'new-secret', label: 'secret of Calendar' }) %>", {});
    expect(html).to.include('<code id="new-secret" class="secret" tabindex="-1" autofocus data-focus>s3cr3t</code>');
    expect(html).to.include('class="warning"').and.include('Shown only once.');
    expect(html).to.include('data-copy="new-secret" hidden>Copy<span class="visually-hidden"> secret of Calendar</span>');
  });

  it('formats dates readably, with the time zone', () => {
    expect(formatDate(new Date('2026-11-28T10:54:31Z'))).to.equal('28 Nov 2026, 10:54 UTC');
    expect(formatDate('2026-01-05T00:03:00.000Z')).to.equal('5 Jan 2026, 00:03 UTC');
    expect(formatDate(null)).to.equal('');
  });

  it('meets WCAG AA: text 4.5:1, input borders and controls 3:1, on white', () => {
    for (const name of ['text', 'muted', 'accent', 'danger', 'warn-text']) expect(contrast(colour(name), '#ffffff'), name).to.be.at.least(4.5);
    expect(contrast(colour('control'), '#ffffff'), 'input borders').to.be.at.least(3);
    expect(contrast(colour('focus'), '#ffffff'), 'focus outline').to.be.at.least(3);
    expect(contrast(colour('muted'), colour('bg')), 'muted text on the page background').to.be.at.least(4.5);
    expect(contrast('#ffffff', colour('accent')), 'button text').to.be.at.least(4.5);
    expect(CSS).to.include(':focus-visible').and.include('.visually-hidden');
  });
});
