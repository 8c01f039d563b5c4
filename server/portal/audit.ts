// The account's audit trail, newest first, a page at a time (?before=<event id>): who did what to
// which key or app, why, and when, in plain words.
import type { Context } from 'koa';
import type { AuditEvent, Store } from '../../adapters/contract.ts';
import { GRANT_REVOCATION_REASONS, isGrantRevocationReason } from '../../config/revocation.ts';
import { sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';
import { describeBrowser, plainWords } from './format.ts';

export const AUDIT_PAGE_SIZE = 25;
const EVENT_ID = /^[\w-]{1,100}$/;

const ACTIONS: Record<string, string> = {
  'api_key.created': 'API key created',
  'api_key.rolled': 'API key rolled',
  'api_key.revoked': 'API key revoked',
  'client.created': 'App registered',
  'client.updated': 'App updated',
  'client.secret_rotated': 'Client secret rotated',
  'client.deleted': 'App deleted',
  'consent.granted': 'Consent granted',
  'account.created': 'Account created',
  'user.email_verified': 'Email address confirmed',
  'user.email_changed': 'Email address changed',
  'user.password_changed': 'Password changed',
  'user.password_reset_requested': 'Password reset requested',
  'user.password_reset': 'Password reset',
  'user.signed_in': 'Signed in',
  'user.sign_in_failed': 'Sign-in failed',
  'user.two_factor_enabled': 'Two-factor authentication turned on',
  'user.two_factor_disabled': 'Two-factor authentication turned off',
  'user.recovery_code_used': 'Recovery code used',
  'user.recovery_codes_replaced': 'New recovery codes made',
  'member.invited': 'Member invited',
  'member.invitation_resent': 'Invitation sent again',
  'member.invitation_revoked': 'Invitation withdrawn',
  'member.joined': 'Member joined',
  'member.role_changed': 'Role changed',
  'member.removed': 'Member removed',
  'registration_token.created': 'Registration token created',
  'agent.verified': 'App verified (it may ask for every scope its type allows)',
  'agent.unverified': 'App verification taken back',
  'agent.host_blocked': 'Host blocked (its apps are refused)',
  'agent.host_unblocked': 'Host unblocked',
  'account.policy_changed': 'Account policies changed',
  'client.secret_revoked': 'Client secret revoked',
  'webhook.disabled': 'Webhook disabled',
  'webhook.created': 'Webhook added',
  'webhook.updated': 'Webhook changed',
  'webhook.deleted': 'Webhook deleted',
  'webhook.secret_rotated': 'Webhook signing secret rotated',
  'webhook.enabled': 'Webhook enabled',
  'client.disabled': 'App disabled (its creator was revoked)',
  'api_key.reported_dead': 'Dead API key reported leaked (nothing revoked)',
  'client.secret_reported_dead': 'Dead client secret reported leaked (nothing revoked)',
  'client.refresh_token_reported_dead': 'Spent refresh token reported leaked (nothing revoked)',
};

/** What happened, in plain words; a revoked grant says whether the user or a reuse did it. */
export function describeAction(event: Pick<AuditEvent, 'action' | 'reason'>): string {
  if (event.action === 'grant.revoked') {
    if (event.reason === 'revoked_by_user') return 'Connected app revoked';
    if (event.reason === 'reused') return 'Refresh token reuse detected';
    return 'App access revoked';
  }
  return ACTIONS[event.action] ?? event.action;
}

const SIGN_IN_METHODS: Record<string, string> = { pwd: 'password', 'pwd otp': 'password and two-factor code' };

/** Why, in plain words: a grant's reason code through config/revocation.ts, else the text kept; how a user signed in or failed to. */
export function describeReason(event: Pick<AuditEvent, 'action' | 'reason' | 'detail'>): string {
  const detail = event.detail ?? {};
  if (!event.reason && detail.method) return `With ${SIGN_IN_METHODS[detail.method] ?? detail.method}`;
  if (!event.reason && detail.from && detail.to) return `From ${detail.from} to ${detail.to}`;
  if (!event.reason && event.action.startsWith('member.') && detail.role) return `As ${detail.role}`;
  if (!event.reason && detail.why) return plainWords([detail.why, detail.note].filter(Boolean).join('; '));
  if (!event.reason) return '';
  if (isGrantRevocationReason(event.reason)) return GRANT_REVOCATION_REASONS[event.reason].summary;
  return event.reason;
}

/** Who did it: the user's email, an app's name, a key, the command line or Latchkey itself. */
async function describeActors(store: Store, events: AuditEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const actor of new Set(events.map((e) => e.actor))) {
    const [kind, id = ''] = actor.split(/:(.*)/s);
    if (kind === 'user') names.set(actor, (await store.findUser(id))?.email ?? actor);
    else if (kind === 'client') names.set(actor, `App ${(await store.findClient(id))?.name ?? id}`);
    else if (kind === 'api_key') names.set(actor, `API key ${id}`);
    else if (kind === 'operator' || kind === 'cli') names.set(actor, 'Command line (operator)');
    else if (kind === 'system') names.set(actor, 'Latchkey (automatic)');
    else names.set(actor, actor);
  }
  return names;
}

/** The names of the keys and apps the events are about, for events that kept none (detail.name). */
async function describeTargets(store: Store, events: AuditEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const event of events) {
    if (event.detail?.name || names.has(event.targetId)) continue;
    const name = event.action.startsWith('api_key.') ? (await store.findApiKey(event.targetId))?.name
      : event.action.startsWith('client.') ? (await store.findClient(event.targetId))?.name
        : event.action.startsWith('user.') ? (await store.findUser(event.targetId))?.email : undefined;
    if (name) names.set(event.targetId, name);
  }
  return names;
}

export function mountAudit({ router, store, sessions }: PortalDeps): void {
  router.get('/audit', signedInWith(sessions), async (ctx: Context) => {
    const { accountId } = sessionOf(ctx);
    const before = typeof ctx.query.before === 'string' && EVENT_ID.test(ctx.query.before) ? ctx.query.before : undefined;
    const page = await store.listAuditEvents(accountId, AUDIT_PAGE_SIZE + 1, before);
    const events = page.slice(0, AUDIT_PAGE_SIZE);
    const [actors, targets] = await Promise.all([describeActors(store, events), describeTargets(store, events)]);
    await showPage(ctx, 'portal-audit', {
      events: events.map((event) => ({
        id: event.id,
        at: event.at,
        actor: actors.get(event.actor) ?? event.actor,
        action: describeAction(event),
        target: event.detail?.name || (event.action.startsWith('member.') ? event.detail?.email : undefined) || targets.get(event.targetId) || event.targetId,
        targetId: event.targetId,
        reason: describeReason(event),
        from: event.detail?.address ? `${event.detail.address}${event.detail.user_agent ? `, ${describeBrowser(event.detail.user_agent)}` : ''}` : '',
        userAgent: event.detail?.user_agent ?? '',
      })),
      older: page.length > AUDIT_PAGE_SIZE ? `/portal/audit?before=${encodeURIComponent(events.at(-1)!.id)}` : '',
      paged: Boolean(before),
    });
  });
}
