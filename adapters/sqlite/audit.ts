// Writing an audit event, shared by every domain that records one (and by cascades.ts), so none of
// them imports another's file for it.
import type { AuditEvent } from '../contract.ts';
import type { Database } from './database.ts';

/** Records an event; call inside the transaction of the change it describes. */
export function insertAuditEvent(db: Database, event: AuditEvent): void {
  db.sql('INSERT INTO audit_events (id, account_id, actor, action, target_id, reason, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(event.id, event.accountId, event.actor, event.action, event.targetId, event.reason ?? null, event.at.getTime(),
      event.detail ? JSON.stringify(event.detail) : null);
}
