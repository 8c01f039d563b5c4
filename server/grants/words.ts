// What the user reads about a grant: each scope in plain words (API permissions first, in catalog
// order, then the protocol scopes with offline_access last) and dates with their time zone.
import { SCOPES, describeScope } from '../../config/scopes.ts';

export interface ScopeWords {
  readonly name: string;
  readonly description: string;
}

/** Catalog position, API scopes before protocol ones, offline_access always last; unknown ones after. */
function rank(name: string): number {
  if (name === 'offline_access') return Number.MAX_SAFE_INTEGER;
  const index = SCOPES.findIndex((s) => s.name === name);
  if (index === -1) return SCOPES.length * 2;
  return SCOPES[index]!.audience === 'api' ? index : SCOPES.length + index;
}

export function scopesInWords(names: Iterable<string>): ScopeWords[] {
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b))
    .map((name) => ({ name, description: describeScope(name)?.description ?? name }));
}

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC',
});

/** `28 Nov 2026, 10:54 UTC`: the portal shows times in UTC and says so. */
export function readableDate(date: Date): string {
  return `${DATE.format(date)} UTC`;
}

/** The host a URL points at (`app.example.com`), or the text itself when it is not a URL. */
export function hostOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
