// The MongoDB store's hands for adapters/cascades.ts: revoke the keys a lineage rule names, and
// write a death plan's audit and outbox events, inside the caller's transaction.
import type { ClientSession } from 'mongodb';
import type { DeathPlan, DyingKey, KeyLineage } from '../cascades.ts';
import { insertAuditEvent } from './audit.ts';
import type { Connection } from './connection.ts';
import { insertOutboxEvents } from './outbox.ts';

/**
 * The filter for keys whose `field` is `value`. For grantId it repeats the partial index's own
 * filter ({$type: 'string'}): without it the planner cannot prove the index covers the query and
 * scans the whole collection on every grant revocation (issue 21, defect 4).
 */
export function lineageFilter(field: KeyLineage['field'], value: string): Record<string, unknown> {
  return field === 'grantId' ? { grantId: { $eq: value, $type: 'string' } } : { [field]: value };
}

/** Revokes the live keys `lineage` names (one conditional update each); returns those it revoked. */
export async function revokeKeys(c: Connection, lineage: KeyLineage, at: Date, session: ClientSession): Promise<DyingKey[]> {
  const unexpired = lineage.unexpiredAt ? { $or: [{ expiresAt: null }, { expiresAt: { $gt: lineage.unexpiredAt } }] } : {};
  const live = await c.apiKeys()
    .find({ ...lineageFilter(lineage.field, lineage.value), revokedAt: null, ...unexpired }, { session, projection: { accountId: 1, environment: 1, name: 1 } })
    .toArray();
  const revoked: DyingKey[] = [];
  for (const key of live) {
    const updated = await c.apiKeys().updateOne({ _id: key._id, revokedAt: null }, { $set: { revokedAt: at, revokedReason: lineage.reason } }, { session });
    if (updated.modifiedCount === 1) revoked.push({ id: key._id, accountId: key.accountId, environment: key.environment, name: key.name ?? undefined });
  }
  return revoked;
}

export async function writePlan(c: Connection, plan: DeathPlan, session: ClientSession): Promise<void> {
  for (const event of plan.audit) await insertAuditEvent(c, event, session);
  await insertOutboxEvents(c, plan.webhookEvents, session);
}
