// The webhook outbox on MongoDB. Events are inserted in the transaction of their cause (helpers
// below). Fan-out needs no transaction: each delivery is an upsert on the unique (eventId, webhookId)
// index, so a crash or a parallel instance can only repeat it, never double it; the event is marked
// done after. A claim is one findOneAndUpdate per delivery whose filter holds the lease condition, so
// two workers never get one delivery; an attempt is recorded only while its filter finds the owner.
import type { ClientSession } from 'mongodb';
import type {
  AttemptOutcome, AuditEvent, ClaimedDelivery, OutboxEvent, OutboxStore, WebhookDelivery,
} from '../contract.ts';
import { sortableId } from '../ids.ts';
import { DELIVERY_RETENTION_MS, mayCauseWebhookEvents, webhookEventsFor, webhookHears } from '../webhook-events.ts';
import { guard, isDuplicateKey, type Connection } from './connection.ts';
import type { DeliveryDocument, OutboxEventDocument } from './documents.ts';
import { recordKey, toRecord } from './record-documents.ts';

/** Events swept per call at most; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;

export async function insertOutboxEvents(c: Connection, events: readonly OutboxEvent[], session: ClientSession): Promise<void> {
  if (events.length > 0) await c.outbox().insertMany(events.map(outboxDocument), { session });
}

/** The webhook events of an audit event about an API key, read from the key (after the change), in the transaction. */
export async function apiKeyWebhookEvents(c: Connection, audit: AuditEvent, session: ClientSession): Promise<void> {
  if (!mayCauseWebhookEvents(audit.action)) return;
  const key = await c.apiKeys().findOne({ _id: audit.targetId }, { session });
  if (!key) return;
  await insertOutboxEvents(c, webhookEventsFor(audit, {
    accountId: key.accountId, environment: key.environment, name: key.name,
    replacedBy: key.replacedBy ?? undefined, overlapEndsAt: key.expiresAt ?? undefined,
  }), session);
}

/** The webhook events of an audit event about a client, read from the client (after the change), in the transaction. */
export async function clientWebhookEvents(c: Connection, audit: AuditEvent, session: ClientSession): Promise<void> {
  if (!mayCauseWebhookEvents(audit.action)) return;
  const client = await c.clients().findOne({ _id: audit.targetId }, { session, projection: { accountId: 1, environment: 1, secrets: 1 } });
  if (!client) return;
  await insertOutboxEvents(c, webhookEventsFor(audit, {
    accountId: client.accountId, environment: client.environment,
    newestSecretId: client.secrets?.[0]?.id, previousSecretId: client.secrets?.[1]?.id,
  }), session);
}

/** For recordAuditEvent: whichever kind of target the action names. */
export async function targetWebhookEvents(c: Connection, audit: AuditEvent, session: ClientSession): Promise<void> {
  if (audit.action.startsWith('api_key.')) await apiKeyWebhookEvents(c, audit, session);
  else if (audit.action.startsWith('client.')) await clientWebhookEvents(c, audit, session);
}

export class MongoOutbox implements OutboxStore {
  readonly #c: Connection;
  constructor(connection: Connection) {
    this.#c = connection;
  }

  async enqueueEvent(event: OutboxEvent): Promise<void> {
    await guard(() => this.#c.outbox().insertOne(outboxDocument(event)));
  }

  async fanOutEvents(limit: number, now: Date): Promise<number> {
    if (limit <= 0) return 0;
    const events = await guard(() => this.#c.outbox().find({ fannedOutAt: null }).sort({ _id: 1 }).limit(limit).toArray());
    for (const event of events) await this.#fanOut(event, now);
    return events.length;
  }

  async #fanOut(event: OutboxEventDocument, now: Date): Promise<void> {
    const webhooks = await guard(() => this.#c.webhooks()
      .find({ kind: 'webhook', accountId: event.accountId, environment: event.environment }).toArray());
    for (const webhook of webhooks.filter((w) => webhookHears(w.recordId, w.data, event))) {
      const delivery: Omit<DeliveryDocument, 'eventId' | 'webhookId'> = {
        _id: sortableId('msg'), accountId: event.accountId, environment: event.environment, eventType: event.type,
        status: 'pending', attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, lastAttemptAt: null,
        lastStatusCode: null, lastError: null, createdAt: now, deliveredAt: null,
      };
      try {
        await guard(() => this.#c.deliveries().updateOne(
          { eventId: event._id, webhookId: webhook.recordId }, { $setOnInsert: delivery }, { upsert: true },
        ));
      } catch (err) {
        // Two upserts racing on the unique index: the other one made it.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    await guard(() => this.#c.outbox().updateOne({ _id: event._id, fannedOutAt: null }, { $set: { fannedOutAt: now } }));
  }

  async claimDeliveries(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    while (claimed.length < limit) {
      const doc = await guard(() => this.#c.deliveries().findOneAndUpdate(
        { status: 'pending', nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
        { $set: { leaseOwner: owner, leaseUntil } },
        { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'before' },
      ));
      if (!doc) break;
      const found = await this.#withEventAndWebhook(doc, owner, now);
      if (found) claimed.push(found);
    }
    return claimed;
  }

  /** What a claimed delivery needs; one whose webhook (or event) is gone fails for good instead. */
  async #withEventAndWebhook(doc: DeliveryDocument, owner: string, now: Date): Promise<ClaimedDelivery | undefined> {
    const event = await guard(() => this.#c.outbox().findOne({ _id: doc.eventId }));
    const webhook = await guard(() => this.#c.webhooks().findOne({
      _id: recordKey({ kind: 'webhook', accountId: doc.accountId, environment: doc.environment }, doc.webhookId),
    }));
    if (event && webhook) return { delivery: toDelivery(doc), event: toEvent(event), webhook: toRecord(webhook) };
    await guard(() => this.#c.deliveries().updateOne({ _id: doc._id, leaseOwner: owner }, {
      $set: { status: 'failed', lastError: webhook ? 'the event is gone' : 'the webhook was deleted', lastAttemptAt: now, leaseOwner: null, leaseUntil: null },
    }));
    return undefined;
  }

  async recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome): Promise<boolean> {
    const $set: Partial<DeliveryDocument> = {
      status: outcome.status, lastAttemptAt: outcome.at, lastStatusCode: outcome.statusCode ?? null, lastError: outcome.error ?? null,
      lastRequest: outcome.request ?? null, lastResponse: outcome.response ?? null, leaseOwner: null, leaseUntil: null,
    };
    if (outcome.nextAttemptAt) $set.nextAttemptAt = outcome.nextAttemptAt;
    if (outcome.status === 'delivered') $set.deliveredAt = outcome.at;
    const updated = await guard(() => this.#c.deliveries().updateOne(
      { _id: deliveryId, leaseOwner: owner, status: 'pending' }, { $set, $inc: { attempts: 1 } },
    ));
    return updated.matchedCount === 1;
  }

  async redeliver(accountId: string, webhookId: string, deliveryId: string, now: Date): Promise<WebhookDelivery | undefined> {
    const doc = await guard(() => this.#c.deliveries().findOneAndUpdate(
      { _id: deliveryId, accountId, webhookId, status: { $ne: 'pending' } },
      { $set: { status: 'pending', attempts: 0, nextAttemptAt: now, deliveredAt: null, leaseOwner: null, leaseUntil: null } },
      { returnDocument: 'after' },
    ));
    return doc ? toDelivery(doc) : undefined;
  }

  async listDeliveries(accountId: string, webhookId: string, page: { limit: number; before?: string | undefined }) {
    if (page.limit <= 0) return [];
    const filter = page.before ? { accountId, webhookId, _id: { $lt: page.before } } : { accountId, webhookId };
    const docs = await guard(() => this.#c.deliveries().find(filter).sort({ _id: -1 }).limit(page.limit).toArray());
    return docs.map(toDelivery);
  }

  /** Finished deliveries past DELIVERY_RETENTION_MS go, then fanned-out events no delivery needs any more. */
  async sweep(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - DELIVERY_RETENTION_MS);
    // Bounded like the events below: one batch per sweep, so a backlog never makes one huge delete.
    const finished = await guard(() => this.#c.deliveries()
      .find({ status: { $in: ['delivered', 'failed'] }, lastAttemptAt: { $lt: cutoff } }, { projection: { _id: 1 } }).limit(SWEEP_BATCH).toArray());
    const deliveries = finished.length > 0
      ? await guard(() => this.#c.deliveries().deleteMany({ _id: { $in: finished.map((d) => d._id) } }))
      : { deletedCount: 0 };
    const old = await guard(() => this.#c.outbox().find({ fannedOutAt: { $ne: null, $lt: cutoff } }, { projection: { _id: 1 } })
      .limit(SWEEP_BATCH).toArray());
    const ids = old.map((e) => e._id);
    if (ids.length === 0) return deliveries.deletedCount;
    const needed = new Set(await guard(() => this.#c.deliveries().distinct('eventId', { eventId: { $in: ids } })));
    const events = await guard(() => this.#c.outbox().deleteMany({ _id: { $in: ids.filter((id) => !needed.has(id)) } }));
    return deliveries.deletedCount + events.deletedCount;
  }
}

function outboxDocument(event: OutboxEvent): OutboxEventDocument {
  return {
    _id: event.id, accountId: event.accountId, environment: event.environment, type: event.type, data: { ...event.data },
    createdAt: event.createdAt, fannedOutAt: null,
  };
}

function toEvent(doc: OutboxEventDocument): OutboxEvent {
  return { id: doc._id, accountId: doc.accountId, environment: doc.environment, type: doc.type, data: doc.data, createdAt: doc.createdAt };
}

function toDelivery(doc: DeliveryDocument): WebhookDelivery {
  return {
    id: doc._id, eventId: doc.eventId, webhookId: doc.webhookId, accountId: doc.accountId, environment: doc.environment,
    eventType: doc.eventType, status: doc.status, attempts: doc.attempts, nextAttemptAt: doc.nextAttemptAt,
    lastAttemptAt: doc.lastAttemptAt ?? undefined, lastStatusCode: doc.lastStatusCode ?? undefined, lastError: doc.lastError ?? undefined,
    lastRequest: doc.lastRequest ?? undefined, lastResponse: doc.lastResponse ?? undefined,
    createdAt: doc.createdAt, deliveredAt: doc.deliveredAt ?? undefined,
  };
}
