// The audit log in plain words: what each action means, why it happened, who did it (a member's
// email, an app's name) and what it was done to (a key's or app's name, a connected app's name for a
// grant), for the portal's page and its CSV export.
import type { AuditEvent, Store } from '../../adapters/contract.ts';
import { GRANT_REVOCATION_REASONS, isGrantRevocationReason } from '../../config/revocation.ts';
import { describeBrowser, plainWords } from './format.ts';

export const ACTIONS: Readonly<Record<string, string>> = {
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

/** What happened, in plain words; a revoked grant says whether the user or a reuse did it; a leaked secret says so. */
export function describeAction(event: Pick<AuditEvent, 'action' | 'reason' | 'detail'>): string {
  if (event.action === 'client.secret_rotated' && (event.detail?.leaked === 'true' || event.reason === 'reported_leaked')) {
    return 'Client secret reported leaked: replaced, the leaked one no longer works';
  }
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
export async function describeActors(store: Store, events: AuditEvent[]): Promise<Map<string, string>> {
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

/**
 * The names of the keys and apps the events are about, for events that kept none (detail.name); a
 * grant by its app's name, from the consent that made it when that is on the page.
 */
async function describeTargets(store: Store, events: AuditEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const event of events) {
    if (event.action === 'consent.granted' && event.detail?.name) names.set(event.targetId, event.detail.name);
  }
  for (const event of events) {
    if (event.detail?.name || names.has(event.targetId)) continue;
    const name = event.action.startsWith('api_key.') ? (await store.findApiKey(event.targetId))?.name
      : event.action.startsWith('client.') ? (await store.findClient(event.targetId))?.name
        : event.action.startsWith('user.') ? (await store.findUser(event.targetId))?.email : undefined;
    if (name) names.set(event.targetId, name);
  }
  return names;
}

export interface AuditRow {
  readonly id: string;
  readonly at: Date;
  readonly action: string;
  readonly what: string;
  readonly actorId: string;
  readonly actor: string;
  readonly target: string;
  readonly targetId: string;
  readonly reason: string;
  /** The network address and browser, when the event kept them. */
  readonly from: string;
  readonly address: string;
  readonly userAgent: string;
}

/** The events as the page and the CSV show them. */
export async function describeEvents(store: Store, events: AuditEvent[]): Promise<AuditRow[]> {
  const [actors, targets] = await Promise.all([describeActors(store, events), describeTargets(store, events)]);
  return events.map((event) => ({
    id: event.id,
    at: event.at,
    action: event.action,
    what: describeAction(event),
    actorId: event.actor,
    actor: actors.get(event.actor) ?? event.actor,
    target: event.detail?.name || (event.action.startsWith('member.') ? event.detail?.email : undefined) || targets.get(event.targetId) || event.targetId,
    targetId: event.targetId,
    reason: describeReason(event),
    from: event.detail?.address ? `${event.detail.address}${event.detail.user_agent ? `, ${describeBrowser(event.detail.user_agent)}` : ''}` : '',
    address: event.detail?.address ?? '',
    userAgent: event.detail?.user_agent ?? '',
  }));
}
