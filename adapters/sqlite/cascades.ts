// The embedded store's hands for adapters/cascades.ts: revoke the keys a lineage rule names, and
// write a death plan's audit and outbox events, inside the caller's transaction.
import type { DeathPlan, DyingKey, KeyLineage } from '../cascades.ts';
import type { Environment } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { text, type Database, type Row } from './database.ts';
import { insertOutboxEvents } from './outbox.ts';

const COLUMN: Record<KeyLineage['field'], string> = { grantId: 'grant_id', createdBy: 'created_by' };

/** Revokes the live keys `lineage` names; returns them as they were revoked. */
export function revokeKeys(db: Database, lineage: KeyLineage, at: Date): DyingKey[] {
  const rows = db.sql(`
    UPDATE api_keys SET revoked_at = ?, revoked_reason = ?
    WHERE ${COLUMN[lineage.field]} = ? AND revoked_at IS NULL AND (? IS NULL OR expires_at IS NULL OR expires_at > ?)
    RETURNING id, account_id, environment, name
  `).all(at.getTime(), lineage.reason, lineage.value, lineage.unexpiredAt?.getTime() ?? null, lineage.unexpiredAt?.getTime() ?? null) as Row[];
  return rows.map((row) => ({
    id: String(row.id), accountId: String(row.account_id), environment: String(row.environment) as Environment, name: text(row.name),
  }));
}

export function writePlan(db: Database, plan: DeathPlan): void {
  for (const event of plan.audit) insertAuditEvent(db, event);
  insertOutboxEvents(db, plan.webhookEvents);
}
