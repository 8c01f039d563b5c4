// API keys and the audit trail. A change to a key and its audit event are one transaction.
import type { ApiKeyRecord, ApiKeyStore, AuditEvent, AuditFilter, KeyPage } from '../contract.ts';
import { mayCauseWebhookEvents } from '../webhook-events.ts';
import { guard, uniquely, type Connection } from './connection.ts';
import type { ApiKeyDocument } from './documents.ts';
import { auditDocument, insertAuditEvent, toAuditEvent } from './audit.ts';
import { MongoGrants } from './grants.ts';
import { endCreations, revokeGrantsOf, touchCreator } from './lineage.ts';
import { markCredentialsChanged } from './credentials.ts';
import { apiKeyWebhookEvents, targetWebhookEvents } from './outbox.ts';

/** Records an audit event as part of the caller's transaction (grant revocation uses it too). */
// A limit of 0 means "no limit" to MongoDB: each list returns [] for limit <= 0 itself, as the
// embedded store does.
export class MongoApiKeys implements ApiKeyStore {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void> {
    await uniquely('api_key', () => this.#connection.transaction(async (session) => {
      await touchCreator(this.#connection, key.createdBy, key.grantId, new Date(), session);
      await this.#connection.apiKeys().insertOne(apiKeyDocument(key), { session });
      await insertAuditEvent(this.#connection, event, session);
    }));
  }

  async findApiKey(id: string) {
    const doc = await guard(() => this.#connection.apiKeys().findOne({ _id: id }));
    return doc ? toApiKey(doc) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const doc = await guard(() => this.#connection.apiKeys().findOne({ hash }));
    return doc ? toApiKey(doc) : undefined;
  }

  async rehashApiKey(id: string, from: string, to: string) {
    const result = await guard(() => this.#connection.apiKeys().updateOne({ _id: id, hash: from }, { $set: { hash: to } }));
    return result.modifiedCount === 1;
  }

  async countApiKeyHashesByPepper() {
    const rows = await guard(() => this.#connection.apiKeys().aggregate<{ _id: string; n: number }>([
      { $match: { revokedAt: null } },
      { $group: { _id: { $cond: [{ $gt: [{ $indexOfCP: ['$hash', ':'] }, 0] }, { $arrayElemAt: [{ $split: ['$hash', ':'] }, 0] }, '1'] }, n: { $sum: 1 } } },
    ]).toArray());
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }

  async listApiKeys(accountId: string, page?: KeyPage) {
    const filter = {
      accountId,
      ...(page?.after ? { _id: { $gt: page.after } } : {}),
      ...(page?.environment ? { environment: page.environment } : {}),
    };
    if (page && page.limit <= 0) return [];
    const cursor = this.#connection.apiKeys().find(filter).sort({ _id: 1 });
    return (await guard(() => (page ? cursor.limit(page.limit) : cursor).toArray())).map(toApiKey);
  }

  async countLiveApiKeys(accountId: string, now: Date) {
    return guard(() => this.#connection.apiKeys().countDocuments({
      accountId, revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
    }));
  }

  async rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean> {
    const apiKeys = this.#connection.apiKeys();
    return this.#connection.transaction(async (session) => {
      // The roller is checked before the roll: a key rolling itself with no overlap ends with it.
      await touchCreator(this.#connection, replacement.createdBy, replacement.grantId, new Date(), session);
      const old = await apiKeys.findOne({ _id: oldId, revokedAt: null, replacedBy: null }, { session });
      if (!old) {
        // Rolled or revoked already: the retry of a change still moves the generation; an unknown id does not.
        if (await apiKeys.findOne({ _id: oldId }, { session, projection: { _id: 1 } })) await markCredentialsChanged(this.#connection, session);
        return false;
      }
      await markCredentialsChanged(this.#connection, session);
      const expiresAt = old.expiresAt && old.expiresAt < oldExpiresAt ? old.expiresAt : oldExpiresAt;
      const updated = await apiKeys.updateOne(
        { _id: oldId, revokedAt: null, replacedBy: null },
        { $set: { expiresAt, replacedBy: replacement.id } },
        { session },
      );
      if (updated.modifiedCount !== 1) return false;
      await apiKeys.insertOne(apiKeyDocument(replacement), { session });
      await insertAuditEvent(this.#connection, event, session);
      await apiKeyWebhookEvents(this.#connection, event, session);
      return true;
    });
  }

  async revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean> {
    let disabledClients: string[] = [];
    const revoked = await this.#connection.transaction(async (session) => {
      const updated = await this.#connection.apiKeys().updateOne(
        { _id: id, revokedAt: null }, { $set: { revokedAt: at, revokedReason: reason } }, { session },
      );
      // Also when it was revoked already: the retry of a revocation moves the generation too.
      if (updated.matchedCount === 1 || await this.#connection.apiKeys().findOne({ _id: id }, { session, projection: { _id: 1 } })) {
        await markCredentialsChanged(this.#connection, session);
      }
      if (updated.modifiedCount !== 1) return false;
      await insertAuditEvent(this.#connection, event, session);
      await apiKeyWebhookEvents(this.#connection, event, session);
      // What the key created dies with it, in this transaction (adapters/cascades.ts).
      disabledClients = await endCreations(this.#connection, { kind: 'api_key', id }, event.actor, at, session);
      return true;
    });
    if (revoked) await revokeGrantsOf(this.#connection, new MongoGrants(this.#connection), disabledClients, event.actor, at);
    return revoked;
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await guard(() => this.#connection.apiKeys().updateOne(
      { _id: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] },
      { $set: { lastUsedAt: at } },
    ));
  }

  async listAuditEvents(accountId: string, limit: number, before?: string, keep: AuditFilter = {}) {
    if (limit <= 0) return [];
    const at = { ...(keep.since ? { $gte: keep.since } : {}), ...(keep.until ? { $lt: keep.until } : {}) };
    const filter = {
      accountId,
      ...(before === undefined ? {} : { _id: { $lt: before } }),
      ...(keep.actions && keep.actions.length > 0 ? { action: { $in: [...keep.actions] } } : {}),
      ...(keep.actor === undefined ? {} : { actor: keep.actor }),
      ...(Object.keys(at).length > 0 ? { at } : {}),
    };
    const docs = await guard(() => this.#connection.audit().find(filter).sort({ _id: -1 }).limit(limit).toArray());
    return docs.map(toAuditEvent);
  }

  /** One write, or a transaction when the event tells webhooks something (client.secret_revoked, say). */
  async recordAuditEvent(event: AuditEvent): Promise<void> {
    if (!mayCauseWebhookEvents(event.action)) {
      await guard(() => this.#connection.audit().insertOne(auditDocument(event)));
      return;
    }
    await this.#connection.transaction(async (session) => {
      await insertAuditEvent(this.#connection, event, session);
      await targetWebhookEvents(this.#connection, event, session);
    });
  }

  async listTargetEvents(accountId: string, targetId: string, page: { limit: number; before?: string | undefined }) {
    if (page.limit <= 0) return [];
    const filter = page.before ? { accountId, targetId, _id: { $lt: page.before } } : { accountId, targetId };
    const docs = await guard(() => this.#connection.audit().find(filter).sort({ _id: -1 }).limit(page.limit).toArray());
    return docs.map(toAuditEvent);
  }
}

function apiKeyDocument(key: ApiKeyRecord): ApiKeyDocument {
  const { id, ...rest } = key;
  return {
    ...rest, _id: id, scopes: [...key.scopes],
    expiresAt: key.expiresAt ?? null, revokedAt: key.revokedAt ?? null, revokedReason: key.revokedReason ?? null,
    replacedBy: key.replacedBy ?? null, replaces: key.replaces ?? null, lastUsedAt: key.lastUsedAt ?? null,
    grantId: key.grantId ?? null,
  };
}

function toApiKey(doc: ApiKeyDocument): ApiKeyRecord {
  const { _id, ...rest } = doc;
  const orUndefined = <T>(v: T | null | undefined) => v ?? undefined;
  return {
    ...rest, id: _id,
    expiresAt: orUndefined(rest.expiresAt), revokedAt: orUndefined(rest.revokedAt), revokedReason: orUndefined(rest.revokedReason),
    replacedBy: orUndefined(rest.replacedBy), replaces: orUndefined(rest.replaces), lastUsedAt: orUndefined(rest.lastUsedAt),
    grantId: orUndefined(rest.grantId),
  };
}


