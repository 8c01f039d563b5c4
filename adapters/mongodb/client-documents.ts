// OAuth clients as MongoDB documents and back: shared by the clients domain, leak reports and the
// lineage cascade (lineage.ts), which disables clients inside another domain's transaction.
import { legacySecretId } from '../client-lifecycle.ts';
import type { ClientRecord, ClientSecretRecord } from '../contract.ts';
import type { ClientDocument, ClientSecretDocument } from './documents.ts';

export const secretDocument = (s: ClientSecretRecord): ClientSecretDocument => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: s.createdAt,
  expiresAt: s.expiresAt ?? null, revokedAt: s.revokedAt ?? null, revokedReason: s.revokedReason ?? null,
});

const toSecret = (s: ClientSecretDocument): ClientSecretRecord => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: s.createdAt,
  expiresAt: s.expiresAt ?? undefined, revokedAt: s.revokedAt ?? undefined, revokedReason: s.revokedReason ?? undefined,
});

/** The update that makes a stored client `next`: every field but id, account, creator and creation time. */
export function changeOf(next: ClientRecord) {
  const doc = clientDocument(next);
  const $set: Partial<ClientDocument> = {
    name: doc.name, type: doc.type, environment: doc.environment, scopes: doc.scopes, redirectUris: doc.redirectUris,
    authMethod: doc.authMethod, secrets: doc.secrets, homepageUrl: doc.homepageUrl, logoDigest: doc.logoDigest,
    resource: doc.resource ?? null, updatedAt: doc.updatedAt, revision: doc.revision, postLogoutRedirectUris: doc.postLogoutRedirectUris,
  };
  const $unset: { secretHash?: ''; jwks?: '' } = {};
  if (doc.secretHash) $set.secretHash = doc.secretHash;
  else $unset.secretHash = '';
  if (doc.jwks) $set.jwks = doc.jwks;
  else $unset.jwks = '';
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

export function clientDocument(client: ClientRecord): ClientDocument {
  const doc: ClientDocument = {
    _id: client.id, accountId: client.accountId, name: client.name, type: client.type, environment: client.environment,
    scopes: [...client.scopes], redirectUris: [...client.redirectUris], postLogoutRedirectUris: [...client.postLogoutRedirectUris],
    authMethod: client.authMethod, secrets: client.secrets.map(secretDocument), homepageUrl: client.homepageUrl ?? null, logoDigest: client.logoDigest ?? null,
    resource: client.resource ?? null,
    createdBy: client.createdBy, createdAt: client.createdAt, updatedAt: client.updatedAt, revision: client.revision,
  };
  // Absent rather than null: the unique secretHash index is partial on strings.
  if (client.secretHash) doc.secretHash = client.secretHash;
  if (client.jwks) doc.jwks = client.jwks;
  return doc;
}

/**
 * Field by field, so that nothing else a document may carry leaks into the record. Migration 5 gives
 * older documents their new fields; the defaults here are the same, for a document written meanwhile.
 */
export function toClient(doc: ClientDocument): ClientRecord {
  const partial = doc as Partial<ClientDocument> & Pick<ClientDocument, '_id' | 'createdAt'>;
  const legacy: ClientSecretDocument[] = doc.secretHash
    ? [{ id: legacySecretId(doc._id), hash: doc.secretHash, last4: '', createdAt: doc.createdAt, expiresAt: null, revokedAt: null, revokedReason: null }]
    : [];
  return {
    id: doc._id, accountId: doc.accountId, name: doc.name, type: doc.type, environment: doc.environment,
    scopes: doc.scopes, redirectUris: doc.redirectUris, postLogoutRedirectUris: partial.postLogoutRedirectUris ?? [],
    authMethod: doc.authMethod, secretHash: doc.secretHash,
    secrets: (partial.secrets ?? legacy).map(toSecret), jwks: doc.jwks,
    homepageUrl: partial.homepageUrl ?? undefined, logoDigest: partial.logoDigest ?? undefined, resource: partial.resource ?? undefined,
    createdBy: partial.createdBy ?? 'cli', createdAt: doc.createdAt, updatedAt: partial.updatedAt ?? doc.createdAt,
    revision: partial.revision ?? 1,
  };
}

/**
 * The filter of a conditional edit. A document written before revisions existed (by an older
 * instance during a rolling upgrade) has none and reads as revision 1: it matches 1, so it can be
 * edited, and the edit gives it one.
 */
export function revisionFilter(expectedRevision: number): Record<string, unknown> {
  return expectedRevision === 1 ? { $or: [{ revision: 1 }, { revision: { $exists: false } }] } : { revision: expectedRevision };
}
