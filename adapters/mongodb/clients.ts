// OAuth clients registered by partners (not oidc-provider's own Client model). The client document
// is read on every token request, so a logo's bytes live in client_logos.
import { Binary, type ClientSession } from 'mongodb';
import { keyDeathsPlan, keysOfClient } from '../cascades.ts';
import { checkRevision, legacySecretId } from '../client-lifecycle.ts';
import type { AuditEvent, ClientLogo, ClientRecord, ClientSecretRecord, ClientStore } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { guard, uniquely, type ClientDocument, type ClientSecretDocument, type Connection } from './connection.ts';
import type { MongoGrants } from './grants.ts';
import { markCredentialsChanged } from './credentials.ts';
import { clientWebhookEvents } from './outbox.ts';
import { revokeKeys, writePlan } from './cascades.ts';

/** A client being deleted (deletedAt set) is gone for every read and every change. */
const NOT_DELETED = { deletedAt: null } as const;

export class MongoClients implements ClientStore {
  readonly #connection: Connection;
  readonly #grants: MongoGrants;

  constructor(connection: Connection, grants: MongoGrants) {
    this.#connection = connection;
    this.#grants = grants;
  }

  async createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo): Promise<void> {
    const c = this.#connection;
    await uniquely('client', () => c.transaction(async (session) => {
      await c.clients().insertOne(clientDocument(client), { session });
      if (logo) await this.#putLogo(client.id, logo, session);
      if (event) await insertAuditEvent(c, event, session);
    }));
  }

  async findClient(id: string) {
    const doc = await guard(() => this.#connection.clients().findOne({ _id: id, ...NOT_DELETED }));
    return doc ? toClient(doc) : undefined;
  }

  async listClients(accountId: string) {
    const docs = await guard(() => this.#connection.clients().find({ accountId, ...NOT_DELETED }).sort({ createdAt: 1, _id: 1 }).toArray());
    return docs.map(toClient);
  }

  // id, account, creator and creation time never change.
  async updateClient(next: ClientRecord, expectedRevision: number, event: AuditEvent, logo?: ClientLogo | null): Promise<boolean> {
    checkRevision(next, expectedRevision);
    const c = this.#connection;
    return uniquely('client', () => c.transaction(async (session) => {
      const updated = await c.clients().updateOne(
        { _id: next.id, revision: expectedRevision, ...NOT_DELETED }, changeOf(next), { session },
      );
      if (updated.matchedCount === 1 || await c.clients().findOne({ _id: next.id }, { session, projection: { _id: 1 } })) {
        await markCredentialsChanged(c, session);
      }
      if (updated.matchedCount !== 1) return false;
      if (logo === null) await c.clientLogos().deleteOne({ _id: next.id }, { session });
      else if (logo) await this.#putLogo(next.id, logo, session);
      await insertAuditEvent(c, event, session);
      await clientWebhookEvents(c, event, session);
      return true;
    }));
  }

  /**
   * In steps, each safe to repeat, so that a crash between them leaves nothing usable and a retry
   * completes the deletion: (1) mark the client deleted, so it can no longer authenticate or be
   * read; (2) revoke its grants, each through the grant revocation path (the client document still
   * says whose they were, for their audit events); (3) revoke the keys it created; (4) delete it
   * and its logo and record the event, in one transaction. False when there is no such client, or
   * when a parallel deletion finished first.
   */
  async deleteClient(id: string, event: AuditEvent): Promise<boolean> {
    const c = this.#connection;
    // Step 1 tells every cache at once: from here on the client authenticates nowhere.
    const exists = await c.transaction(async (session) => {
      await c.clients().updateOne({ _id: id, ...NOT_DELETED }, { $set: { deletedAt: event.at } }, { session });
      if (!await c.clients().findOne({ _id: id }, { session, projection: { _id: 1 } })) return false;
      await markCredentialsChanged(c, session);
      return true;
    });
    if (!exists) return false;
    const grants = await guard(() => c.oidc('Grant').find({ clientId: id }, { projection: { _id: 1 } }).toArray());
    for (const grant of grants) {
      await this.#grants.revokeByGrantId(grant._id, { reason: 'client_deleted', actor: event.actor, at: event.at });
    }
    await this.#revokeKeysCreatedBy(id, event);
    return c.transaction(async (session) => {
      await c.clientLogos().deleteOne({ _id: id }, { session });
      const deleted = await c.clients().deleteOne({ _id: id }, { session });
      if (deleted.deletedCount !== 1) return false;
      await insertAuditEvent(c, event, session);
      return true;
    });
  }

  async findClientLogo(clientId: string): Promise<ClientLogo | undefined> {
    const doc = await guard(() => this.#connection.clientLogos().findOne({ _id: clientId }));
    // A copy of the content alone: a Binary's buffer may be larger than what it holds.
    return doc ? { contentType: doc.contentType, bytes: new Uint8Array(doc.bytes.buffer.subarray(0, doc.bytes.position)) } : undefined;
  }

  async #putLogo(clientId: string, logo: ClientLogo, session: ClientSession): Promise<void> {
    await this.#connection.clientLogos().replaceOne(
      { _id: clientId },
      { contentType: logo.contentType, bytes: new Binary(logo.bytes) },
      { session, upsert: true },
    );
  }

  /** The API keys the client made with its own credentials die with it, with their events, in one transaction. */
  async #revokeKeysCreatedBy(clientId: string, event: AuditEvent): Promise<void> {
    const c = this.#connection;
    const lineage = keysOfClient(clientId);
    await c.transaction(async (session) => {
      const keys = await revokeKeys(c, lineage, event.at, session);
      await writePlan(c, keyDeathsPlan(keys, lineage, event.actor, event.at), session);
    });
  }
}

const secretDocument = (s: ClientSecretRecord): ClientSecretDocument => ({
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
    resource: doc.resource ?? null, updatedAt: doc.updatedAt, revision: doc.revision,
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
    scopes: [...client.scopes], redirectUris: [...client.redirectUris], authMethod: client.authMethod,
    secrets: client.secrets.map(secretDocument), homepageUrl: client.homepageUrl ?? null, logoDigest: client.logoDigest ?? null,
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
    scopes: doc.scopes, redirectUris: doc.redirectUris, authMethod: doc.authMethod, secretHash: doc.secretHash,
    secrets: (partial.secrets ?? legacy).map(toSecret), jwks: doc.jwks,
    homepageUrl: partial.homepageUrl ?? undefined, logoDigest: partial.logoDigest ?? undefined, resource: partial.resource ?? undefined,
    createdBy: partial.createdBy ?? 'cli', createdAt: doc.createdAt, updatedAt: partial.updatedAt ?? doc.createdAt,
    revision: partial.revision ?? 1,
  };
}
