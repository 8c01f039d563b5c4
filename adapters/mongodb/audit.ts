// Writing an audit event, shared by every domain that records one (and by cascades.ts), so none of
// them imports another's file for it.
import type { ClientSession } from 'mongodb';
import type { AuditEvent } from '../contract.ts';
import type { Connection } from './connection.ts';
import type { AuditDocument } from './documents.ts';

export async function insertAuditEvent(connection: Connection, event: AuditEvent, session: ClientSession): Promise<void> {
  await connection.audit().insertOne(auditDocument(event), { session });
}

export function auditDocument(event: AuditEvent): AuditDocument {
  const { id, detail, ...rest } = event;
  return { ...rest, _id: id, reason: event.reason ?? null, detail: detail ? { ...detail } : null };
}

// `detail` is optional: absent (not a key set to undefined) when the event has none.
export function toAuditEvent({ _id, detail, ...rest }: AuditDocument): AuditEvent {
  const event: AuditEvent = { ...rest, id: _id, reason: rest.reason ?? undefined };
  return detail ? { ...event, detail } : event;
}
