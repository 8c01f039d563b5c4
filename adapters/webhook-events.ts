// Which webhook events an audit event causes. Both stores call this wherever they write an audit event
// inside a transaction, and store what it returns in the outbox in that same transaction, so an event
// exists exactly when its cause was committed. Pure: the store resolves the subject (whose credential,
// in which environment) from its own rows. Payloads carry ids and facts, never a credential's value.
import { EXPOSED_IN_URL_REASON } from '../config/revocation.ts';
import { TEST_EVENT_TYPE } from '../config/webhooks.ts';
import type { AuditEvent, Environment, OutboxEvent } from './contract.ts';
import { sortableId } from './ids.ts';

export const URL_EXPOSED_REASON = EXPOSED_IN_URL_REASON;
/** The reasons that make a revocation an exposure: seen in a URL, or reported leaked (either spelling). */
const EXPOSED_REASONS: ReadonlySet<string> = new Set([URL_EXPOSED_REASON, 'reported_leaked', 'reported leaked']);

/** What the store knows about the audit event's target, read in the same transaction. */
export interface EventSubject {
  /** Whose webhooks hear it: the credential's account (for a grant, the client owner's). */
  readonly accountId: string;
  readonly environment: Environment;
  /** The API key's name. */
  readonly name?: string | undefined;
  /** A rolled key's successor and the end of its overlap. */
  readonly replacedBy?: string | undefined;
  readonly overlapEndsAt?: Date | undefined;
  /** A client's newest secret (after a rotation). */
  readonly newestSecretId?: string | undefined;
  /** The secret the newest replaced: the exposed one when a rotation is marked leaked. */
  readonly previousSecretId?: string | undefined;
  /** A grant's client and user. */
  readonly clientId?: string | undefined;
  readonly userId?: string | undefined;
}

type Payload = Record<string, unknown>;

/** The webhook events `audit` causes: none for most. */
export function webhookEventsFor(audit: AuditEvent, subject: EventSubject): OutboxEvent[] {
  return payloadsFor(audit, subject).map(([type, data]) => ({
    id: sortableId('evt'), accountId: subject.accountId, environment: subject.environment, type, data, createdAt: audit.at,
  }));
}

function payloadsFor(audit: AuditEvent, subject: EventSubject): Array<[string, Payload]> {
  switch (audit.action) {
    case 'api_key.revoked': return apiKeyRevoked(audit, subject);
    case 'api_key.rolled':
      return [['api_key.rolled', {
        api_key_id: audit.targetId, replaced_by: subject.replacedBy ?? null,
        overlap_ends_at: subject.overlapEndsAt?.toISOString() ?? null,
      }]];
    case 'client.secret_rotated': return secretRotated(audit, subject);
    case 'client.secret_revoked':
      return [['client_secret.exposed', { client_id: audit.targetId, secret_id: audit.detail?.secret_id ?? null }]];
    case 'grant.revoked': return grantRevoked(audit, subject);
    case 'api_key.reported_dead': return [['credential.leak_reported', { kind: 'api_key', api_key_id: audit.targetId }]];
    case 'client.secret_reported_dead':
      return [['credential.leak_reported', { kind: 'client_secret', client_id: audit.targetId, secret_id: audit.detail?.secret_id ?? null }]];
    case 'client.refresh_token_reported_dead':
      return [['credential.leak_reported', { kind: 'refresh_token', client_id: audit.targetId, grant_id: audit.detail?.grant_id ?? null }]];
    default: return [];
  }
}

function apiKeyRevoked(audit: AuditEvent, subject: EventSubject): Array<[string, Payload]> {
  const data = { api_key_id: audit.targetId, name: subject.name ?? null, reason: audit.reason ?? null };
  const events: Array<[string, Payload]> = [['api_key.revoked', data]];
  if (audit.reason !== undefined && EXPOSED_REASONS.has(audit.reason)) events.push(['api_key.exposed', data]);
  return events;
}

/** A rotation marked leaked (`detail.leaked === 'true'`, or reason `reported_leaked`) also tells the exposure. */
function secretRotated(audit: AuditEvent, subject: EventSubject): Array<[string, Payload]> {
  const events: Array<[string, Payload]> = [
    ['client_secret.rotated', { client_id: audit.targetId, secret_id: subject.newestSecretId ?? null }],
  ];
  if (audit.detail?.leaked === 'true' || audit.reason === 'reported_leaked') {
    const exposed = audit.detail?.secret_id ?? subject.previousSecretId ?? null;
    events.push(['client_secret.exposed', { client_id: audit.targetId, secret_id: exposed }]);
  }
  return events;
}

function grantRevoked(audit: AuditEvent, subject: EventSubject): Array<[string, Payload]> {
  if (audit.reason === 'revoked_by_user') {
    return [['connected_app.revoked', { grant_id: audit.targetId, client_id: subject.clientId ?? null, user_id: subject.userId ?? null }]];
  }
  if (audit.reason === 'reused') {
    return [['refresh_token.reuse_detected', { grant_id: audit.targetId, client_id: subject.clientId ?? null }]];
  }
  return [];
}

/** The audit actions that may cause webhook events: a store skips reading the subject for the rest. */
const CAUSING_ACTIONS: ReadonlySet<string> = new Set([
  'api_key.revoked', 'api_key.rolled', 'client.secret_rotated', 'client.secret_revoked', 'grant.revoked',
  'api_key.reported_dead', 'client.secret_reported_dead', 'client.refresh_token_reported_dead',
]);
export const mayCauseWebhookEvents = (action: string) => CAUSING_ACTIONS.has(action);

/**
 * Whether a webhook (its id and its record's data) hears an event: subscribed to its type and not
 * disabled. A test event (TEST_EVENT_TYPE) is for the one webhook it names, whatever that hears.
 */
export function webhookHears(webhookId: string, data: Record<string, unknown>, event: { readonly type: string; readonly data: Readonly<Record<string, unknown>> }): boolean {
  if (data.disabled_at !== undefined && data.disabled_at !== null) return false;
  if (event.type === TEST_EVENT_TYPE) return event.data.webhook_id === webhookId;
  return Array.isArray(data.events) && data.events.includes(event.type);
}

/** Delivered and failed deliveries (and the events they came from) are kept this long, then swept. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
