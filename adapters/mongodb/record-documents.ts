// Partner API records as MongoDB documents and back: used by the records domain and by the outbox
// (which reads a record for its webhook event), so neither imports the other.
import type { PartitionKey, PartnerRecord } from '../contract.ts';
import type { RecordDocument } from './documents.ts';

export function recordKey(p: PartitionKey, id: string): string {
  return `${p.kind}/${p.accountId}/${p.environment}/${id}`;
}

export function recordDocument(record: PartnerRecord): RecordDocument {
  const { id, ...rest } = record;
  return { ...rest, _id: recordKey(record, id), recordId: id };
}

export function toRecord(doc: RecordDocument): PartnerRecord {
  return {
    id: doc.recordId, kind: doc.kind, accountId: doc.accountId, environment: doc.environment,
    data: doc.data, createdAt: doc.createdAt, updatedAt: doc.updatedAt,
  };
}
