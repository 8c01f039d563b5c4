// What dies with what, and what each death writes, decided once for both stores (as
// webhook-events.ts decides which webhook events an audit event causes). Pure: a store reads the
// facts (which keys it revoked under a rule, whose client and user a grant was), asks for the plan,
// and writes the plan's audit events and outbox events inside its own transaction.
//
// The rules of lineage, today:
// - a grant takes with it the API keys created with a token of it (their `grantId`);
// - a deleted client takes its grants (each through the grant's own death) and the API keys it
//   created with its own credentials (their `createdBy`);
// - a revoked API key takes with it what it created, transitively (their `createdBy`): the live
//   keys it created are revoked, the clients it registered are disabled (every live secret revoked
//   as a leaked one is, their grants revoked, and what they created in turn), and the webhooks it
//   made are disabled; nothing cascades from a key that was revoked already;
// - a deleted client takes what it created the same way.
import { GRANT_REVOCATION_REASONS } from '../config/revocation.ts';
import { CLIENT_DELETED_KEY_REASON } from './client-lifecycle.ts';
import type { AuditEvent, Environment, GrantRevocation, OutboxEvent } from './contract.ts';
import { sortableId } from './ids.ts';
import { webhookEventsFor } from './webhook-events.ts';

/** Which API keys die with something: those not revoked whose `field` equals `value`, recorded with `reason`. */
export interface KeyLineage {
  readonly field: 'grantId' | 'createdBy';
  readonly value: string;
  readonly reason: string;
  /** Only keys not yet expired at this time (an expired child has nothing left to take). */
  readonly unexpiredAt?: Date;
}

/** The keys created with a token of the grant. */
export function keysOfGrant(grantId: string, revocation: GrantRevocation): KeyLineage {
  return { field: 'grantId', value: grantId, reason: `grant revoked: ${GRANT_REVOCATION_REASONS[revocation.reason].summary}` };
}

/** How `createdBy` names a credential that creates things: `api_key:<id>` or `client:<id>`. */
export const creatorName = (kind: 'api_key' | 'client', id: string) => `${kind}:${id}`;

/** The credential a `createdBy` names, when it is one that creates things (a key or a client); else undefined. */
export function creatorOf(createdBy: string): { kind: 'api_key' | 'client'; id: string } | undefined {
  const match = /^(api_key|client):([^\s:]+)$/.exec(createdBy);
  return match ? { kind: match[1] as 'api_key' | 'client', id: match[2]! } : undefined;
}

/** Why what a creator made dies: the root cause, the same for everything down the line. */
export function lineageReason(root: { kind: 'api_key' | 'client'; id: string }): string {
  return root.kind === 'api_key' ? `created by revoked key ${root.id}` : CLIENT_DELETED_KEY_REASON;
}

/** The keys a creator made, revoked with the root's reason. */
export function keysCreatedBy(creator: string, reason: string, at: Date): KeyLineage {
  return { field: 'createdBy', value: creator, reason, unexpiredAt: at };
}

/** A client disabled because its creator died: the event that says so (its webhook events follow from it). */
export function clientDisabledEvent(client: { id: string; accountId: string; name: string }, reason: string, actor: string, at: Date): AuditEvent {
  return {
    id: sortableId('evt'), accountId: client.accountId, actor, action: 'client.disabled', targetId: client.id, reason, at,
    detail: { name: client.name },
  };
}

/** A webhook disabled because its creator died. */
export function webhookDisabledEvent(webhook: { id: string; accountId: string }, reason: string, actor: string, at: Date): AuditEvent {
  return { id: sortableId('evt'), accountId: webhook.accountId, actor, action: 'webhook.disabled', targetId: webhook.id, reason, at };
}

/** A key the store revoked under a lineage rule, as it read it. */
export interface DyingKey {
  readonly id: string;
  readonly accountId: string;
  readonly environment: Environment;
  readonly name: string | undefined;
}

/** What a death writes, in order: audit events, then outbox events. */
export interface DeathPlan {
  readonly audit: readonly AuditEvent[];
  readonly webhookEvents: readonly OutboxEvent[];
}

/** Each key's `api_key.revoked` event and the webhook events it causes. */
export function keyDeathsPlan(keys: readonly DyingKey[], lineage: KeyLineage, actor: string, at: Date): DeathPlan {
  const audit: AuditEvent[] = [];
  const webhookEvents: OutboxEvent[] = [];
  for (const key of keys) {
    const event: AuditEvent = {
      id: sortableId('evt'), accountId: key.accountId, actor, action: 'api_key.revoked', targetId: key.id, reason: lineage.reason, at,
    };
    audit.push(event);
    webhookEvents.push(...webhookEventsFor(event, { accountId: key.accountId, environment: key.environment, name: key.name }));
  }
  return { audit, webhookEvents };
}

/** What the store knows of a dying grant's parties. */
export interface GrantParties {
  /** The client the grant was for, when it still exists: its owner hears the webhook events. */
  readonly client: { readonly id: string; readonly accountId: string; readonly environment: Environment; readonly name?: string } | undefined;
  /** The user who granted it, and the user's own account when known. */
  readonly userId: string | undefined;
  readonly userAccountId: string | undefined;
}

/**
 * A grant's death: its bound keys' events, then `grant.revoked` once for the client owner's account
 * and once for the user's account when that is another, then its webhook events (to the client owner,
 * in the client's environment).
 */
export function grantDeathPlan(
  grantId: string, revocation: GrantRevocation, parties: GrantParties, keys: readonly DyingKey[],
): DeathPlan {
  const bound = keyDeathsPlan(keys, keysOfGrant(grantId, revocation), revocation.actor, revocation.at);
  const accounts = new Set([parties.client?.accountId, parties.userAccountId].filter((id) => id !== undefined));
  const grantEvents: AuditEvent[] = [...accounts].map((accountId) => ({
    id: sortableId('evt'), accountId, actor: revocation.actor, action: 'grant.revoked', targetId: grantId, reason: revocation.reason, at: revocation.at,
    // The audit log names the app, not the grant.
    ...(parties.client?.name ? { detail: { name: parties.client.name, client_id: parties.client.id } } : {}),
  }));
  const { client } = parties;
  const grantWebhookEvents = client
    ? webhookEventsFor({
      id: grantId, accountId: client.accountId, actor: revocation.actor, action: 'grant.revoked', targetId: grantId,
      reason: revocation.reason, at: revocation.at,
    }, { accountId: client.accountId, environment: client.environment, clientId: client.id, userId: parties.userId })
    : [];
  return { audit: [...bound.audit, ...grantEvents], webhookEvents: [...bound.webhookEvents, ...grantWebhookEvents] };
}
