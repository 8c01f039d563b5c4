// OAuth clients registered by partners (not oidc-provider's own Client model). The client document
// is read on every token request, so a logo's bytes live in client_logos.
import { Binary, type ClientSession } from 'mongodb';
import { checkRevision } from '../client-lifecycle.ts';
import type { AuditEvent, ClientLogo, ClientRecord, ClientStore } from '../contract.ts';
import { auditDocument, insertAuditEvent, toAuditEvent } from './audit.ts';
import { sortableId } from '../ids.ts';
import { changeOf, clientDocument, revisionFilter, toClient } from './client-documents.ts';
import { guard, uniquely, type Connection } from './connection.ts';
import type { MongoGrants } from './grants.ts';
import { markCredentialsChanged } from './credentials.ts';
import { clientWebhookEvents } from './outbox.ts';
import { endCreations, revokeGrantsOf, touchCreator } from './lineage.ts';

/** Grants of a deleted client revoked per scan; the scan repeats until none is left. */
const GRANT_BATCH = 100;

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
      await touchCreator(c, client.createdBy, undefined, new Date(), session);
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
        { _id: next.id, ...revisionFilter(expectedRevision), ...NOT_DELETED }, changeOf(next), { session },
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
    // Step 1 tells every cache at once: from here on the client authenticates nowhere. The event is
    // kept with the mark, so a deletion that stops after this step is finished by the sweep.
    const exists = await c.transaction(async (session) => {
      await c.clients().updateOne({ _id: id, ...NOT_DELETED }, { $set: { deletedAt: event.at, deletion: auditDocument(event) } }, { session });
      if (!await c.clients().findOne({ _id: id }, { session, projection: { _id: 1 } })) return false;
      await markCredentialsChanged(c, session);
      return true;
    });
    return exists && this.#finishDeletion(id, event);
  }

  /**
   * Finishes every deletion that stopped after its first step (a crash, a lost primary): called by
   * the sweep. Returns how many it finished.
   */
  async finishInterruptedDeletions(): Promise<number> {
    const c = this.#connection;
    const marked = await guard(() => c.clients().find({ deletedAt: { $ne: null } }, { projection: { deletedAt: 1, deletion: 1, accountId: 1 } }).toArray());
    let finished = 0;
    for (const doc of marked) {
      const event = doc.deletion ? toAuditEvent(doc.deletion) : {
        id: sortableId('evt'), accountId: doc.accountId, actor: 'system', action: 'client.deleted', targetId: doc._id,
        reason: 'a deletion that stopped half-way was finished', at: doc.deletedAt ?? new Date(),
      };
      if (await this.#finishDeletion(doc._id, event)) finished += 1;
    }
    return finished;
  }

  /**
   * Steps 2 to 4, each safe to repeat: the grants (scanned again until none is left, so a grant made
   * meanwhile is not missed), what the client created, then the client itself with its event.
   */
  async #finishDeletion(id: string, event: AuditEvent): Promise<boolean> {
    const c = this.#connection;
    for (let grants = await this.#grantsOf(id); grants.length > 0; grants = await this.#grantsOf(id)) {
      for (const grant of grants) await this.#grants.revokeByGrantId(grant, { reason: 'client_deleted', actor: event.actor, at: event.at });
    }
    // What the client created dies or is disabled (adapters/cascades.ts); then the disabled clients' grants.
    const disabled = await c.transaction((session) => endCreations(c, { kind: 'client', id }, event.actor, event.at, session));
    await revokeGrantsOf(c, this.#grants, disabled, event.actor, event.at);
    return c.transaction(async (session) => {
      await c.clientLogos().deleteOne({ _id: id }, { session });
      const deleted = await c.clients().deleteOne({ _id: id }, { session });
      if (deleted.deletedCount !== 1) return false;
      await insertAuditEvent(c, event, session);
      return true;
    });
  }

  async #grantsOf(clientId: string): Promise<string[]> {
    const found = await guard(() => this.#connection.oidc('Grant').find({ clientId }, { projection: { _id: 1 } }).limit(GRANT_BATCH).toArray());
    return found.map((grant) => grant._id);
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

}
