// The account's audit trail, newest first, a page at a time (?before=<event id>): who did what to
// which key or app, why, when and from where, in plain words (audit-words.ts). Filtered by what
// happened, who did it and a range of days (the store does the filtering); the filtered view is
// also a CSV download.
import type { Context } from 'koa';
import type { AuditFilter, Store } from '../../adapters/contract.ts';
import { authorize } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import { ACTIONS, describeEvents, type AuditRow } from './audit-words.ts';
import { sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';

export const AUDIT_PAGE_SIZE = 25;
/** Events in one CSV download at most: the newest of the filtered view. */
export const AUDIT_CSV_ROWS = 10_000;
const EVENT_ID = /^[\w-]{1,100}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The choices of "What": every action, in words, and the grant revocations. */
const WHAT_CHOICES = Object.entries({ ...ACTIONS, 'grant.revoked': 'App access revoked (by the user, or on refresh token reuse)' })
  .sort(([, a], [, b]) => a.localeCompare(b));

interface AuditQuery {
  readonly what: string;
  readonly who: string;
  readonly from: string;
  readonly to: string;
}

function queryOf(ctx: Context): AuditQuery {
  const one = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : '');
  return {
    what: Object.hasOwn(ACTIONS, one('what')) || one('what') === 'grant.revoked' ? one('what') : '',
    who: /^[\w:.@ -]{1,200}$/.test(one('who')) ? one('who') : '',
    from: DAY.test(one('from')) ? one('from') : '',
    to: DAY.test(one('to')) ? one('to') : '',
  };
}

function filterOf(query: AuditQuery): AuditFilter {
  const day = (value: string, after = 0) => {
    const date = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? undefined : new Date(date.getTime() + after);
  };
  return {
    actions: query.what ? [query.what] : undefined,
    actor: query.who || undefined,
    since: query.from ? day(query.from) : undefined,
    // Through the whole of the last day.
    until: query.to ? day(query.to, 24 * 3600 * 1000) : undefined,
  };
}

/** The query string of a view, for links that keep its filters. */
function searchOf(query: AuditQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(Object.entries({ ...query, ...extra }).filter(([, v]) => v));
  return params.size > 0 ? `?${params.toString()}` : '';
}

/** A CSV cell: quoted, and never read as a formula by a spreadsheet (CSV injection). */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

function csvOf(rows: AuditRow[]): string {
  const header = ['when', 'what', 'action', 'target', 'target_id', 'who', 'actor', 'why', 'address', 'user_agent'];
  const lines = rows.map((r) => [r.at.toISOString(), r.what, r.action, r.target, r.targetId, r.actor, r.actorId, r.reason, r.address, r.userAgent].map(cell).join(','));
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

/** "Who": the account's members, the command line and Latchkey itself. */
async function whoChoices(store: Store, accountId: string): Promise<{ value: string; label: string }[]> {
  const members = await store.listMembers(accountId);
  return [
    ...members.map((m) => ({ value: `user:${m.id}`, label: m.email })),
    { value: 'operator', label: 'Command line (operator)' },
    { value: 'system', label: 'Latchkey (automatic)' },
  ];
}

export function mountAudit({ router, store, sessions, issuer }: PortalDeps): void {
  const signedIn = signedInWith(sessions);
  const mayRead = (ctx: Context) => authorize(actorOfSession(sessionOf(ctx)), { resource: 'audit', verb: 'read' }, issuer);

  router.get('/audit', signedIn, async (ctx: Context) => {
    mayRead(ctx);
    const { accountId } = sessionOf(ctx);
    const query = queryOf(ctx);
    const before = typeof ctx.query.before === 'string' && EVENT_ID.test(ctx.query.before) ? ctx.query.before : undefined;
    const page = await store.listAuditEvents(accountId, AUDIT_PAGE_SIZE + 1, before, filterOf(query));
    const events = await describeEvents(store, page.slice(0, AUDIT_PAGE_SIZE));
    await showPage(ctx, 'portal-audit', {
      events, query, whatChoices: WHAT_CHOICES, whoChoices: await whoChoices(store, accountId),
      filtered: Boolean(query.what || query.who || query.from || query.to),
      older: page.length > AUDIT_PAGE_SIZE ? `/portal/audit${searchOf(query, { before: events.at(-1)!.id })}` : '',
      newest: `/portal/audit${searchOf(query)}`, csv: `/portal/audit.csv${searchOf(query)}`,
      paged: Boolean(before),
    });
  });

  router.get('/audit.csv', signedIn, async (ctx: Context) => {
    mayRead(ctx);
    const { accountId } = sessionOf(ctx);
    const events = await store.listAuditEvents(accountId, AUDIT_CSV_ROWS, undefined, filterOf(queryOf(ctx)));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`);
    ctx.body = csvOf(await describeEvents(store, events));
  });
}
