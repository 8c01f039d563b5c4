// The webhook outbox: events stored in the transaction of their cause, fanned out into one delivery
// per subscribed webhook, leased to one worker at a time. Every change runs in BEGIN IMMEDIATE, which
// holds SQLite's write lock: instances sharing the file take turns, so a claim or a fan-out is atomic.
import type {
  AttemptOutcome, AuditEvent, ClaimedDelivery, OutboxEvent, OutboxStore, PartnerRecord, WebhookDelivery,
} from '../contract.ts';
import { sortableId } from '../ids.ts';
import { DELIVERY_RETENTION_MS, mayCauseWebhookEvents, webhookEventsFor, webhookHears, type EventSubject } from '../webhook-events.ts';
import { date, text, type Database, type Row } from './database.ts';

/** Stores events; call inside the transaction of the change that caused them. */
export function insertOutboxEvents(db: Database, events: readonly OutboxEvent[]): void {
  for (const event of events) {
    db.sql('INSERT INTO outbox_events (id, account_id, environment, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(event.id, event.accountId, event.environment, event.type, JSON.stringify(event.data), event.createdAt.getTime());
  }
}

/** The webhook events of an audit event about an API key, read from the key's row (after the change). */
export function apiKeyWebhookEvents(db: Database, audit: AuditEvent): void {
  if (!mayCauseWebhookEvents(audit.action)) return;
  const key = db.sql('SELECT account_id, environment, name, replaced_by, expires_at FROM api_keys WHERE id = ?').get(audit.targetId) as Row | undefined;
  if (!key) return;
  insertOutboxEvents(db, webhookEventsFor(audit, {
    accountId: String(key.account_id), environment: String(key.environment) as EventSubject['environment'],
    name: text(key.name), replacedBy: text(key.replaced_by), overlapEndsAt: date(key.expires_at),
  }));
}

/** The webhook events of an audit event about a client, read from the client's row (after the change). */
export function clientWebhookEvents(db: Database, audit: AuditEvent): void {
  if (!mayCauseWebhookEvents(audit.action)) return;
  const client = db.sql('SELECT account_id, environment, secrets FROM clients WHERE id = ?').get(audit.targetId) as Row | undefined;
  if (!client) return;
  const secrets = JSON.parse(String(client.secrets ?? '[]')) as Array<{ id: string }>;
  insertOutboxEvents(db, webhookEventsFor(audit, {
    accountId: String(client.account_id), environment: String(client.environment) as EventSubject['environment'],
    newestSecretId: secrets[0]?.id, previousSecretId: secrets[1]?.id,
  }));
}

/** For recordAuditEvent: whichever kind of target the action names. */
export function targetWebhookEvents(db: Database, audit: AuditEvent): void {
  if (audit.action.startsWith('api_key.')) apiKeyWebhookEvents(db, audit);
  else if (audit.action.startsWith('client.')) clientWebhookEvents(db, audit);
}

function toEvent(row: Row): OutboxEvent {
  return {
    id: String(row.id), accountId: String(row.account_id), environment: String(row.environment) as OutboxEvent['environment'],
    type: String(row.type), data: JSON.parse(String(row.data)) as Record<string, unknown>, createdAt: new Date(Number(row.created_at)),
  };
}

function toDelivery(row: Row): WebhookDelivery {
  return {
    id: String(row.id), eventId: String(row.event_id), webhookId: String(row.webhook_id), accountId: String(row.account_id),
    environment: String(row.environment) as WebhookDelivery['environment'], eventType: String(row.event_type),
    status: String(row.status) as WebhookDelivery['status'], attempts: Number(row.attempts),
    nextAttemptAt: new Date(Number(row.next_attempt_at)), lastAttemptAt: date(row.last_attempt_at),
    lastStatusCode: row.last_status_code === null ? undefined : Number(row.last_status_code), lastError: text(row.last_error),
    lastRequest: text(row.last_request), lastResponse: text(row.last_response),
    createdAt: new Date(Number(row.created_at)), deliveredAt: date(row.delivered_at),
  };
}

function toWebhook(row: Row): PartnerRecord {
  return {
    id: String(row.id), kind: 'webhook', accountId: String(row.account_id), environment: String(row.environment) as PartnerRecord['environment'],
    data: JSON.parse(String(row.data)) as Record<string, unknown>, createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

export class SqliteOutbox implements OutboxStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async enqueueEvent(event: OutboxEvent): Promise<void> {
    insertOutboxEvents(this.#db, [event]);
  }

  async fanOutEvents(limit: number, now: Date): Promise<number> {
    return this.#db.transaction(() => {
      const events = (this.#db.sql('SELECT * FROM outbox_events WHERE fanned_out_at IS NULL ORDER BY id LIMIT ?')
        .all(Math.max(0, limit)) as Row[]).map(toEvent);
      for (const event of events) this.#fanOut(event, now);
      return events.length;
    });
  }

  #fanOut(event: OutboxEvent, now: Date): void {
    const webhooks = this.#db.sql("SELECT id, data FROM webhooks WHERE kind = 'webhook' AND account_id = ? AND environment = ?")
      .all(event.accountId, event.environment) as Row[];
    for (const webhook of webhooks) {
      if (!webhookHears(String(webhook.id), JSON.parse(String(webhook.data)) as Record<string, unknown>, event)) continue;
      this.#db.sql(`
        INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, environment, event_type, status, attempts,
          next_attempt_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (event_id, webhook_id) DO NOTHING
      `).run(sortableId('msg'), event.id, String(webhook.id), event.accountId, event.environment, event.type, now.getTime(), now.getTime());
    }
    this.#db.sql('UPDATE outbox_events SET fanned_out_at = ? WHERE id = ?').run(now.getTime(), event.id);
  }

  async claimDeliveries(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    return this.#db.transaction(() => {
      const due = this.#db.sql(`
        SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ?
      `).all(now.getTime(), now.getTime(), Math.max(0, limit)) as Row[];
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        const found = this.#claimOne(toDelivery(row), owner, now, leaseUntil);
        if (found) claimed.push(found);
      }
      return claimed;
    });
  }

  /** Leases one delivery; one whose webhook (or event) is gone fails for good instead. */
  #claimOne(delivery: WebhookDelivery, owner: string, now: Date, leaseUntil: Date): ClaimedDelivery | undefined {
    const event = this.#db.sql('SELECT * FROM outbox_events WHERE id = ?').get(delivery.eventId) as Row | undefined;
    const webhook = this.#db.sql("SELECT * FROM webhooks WHERE kind = 'webhook' AND account_id = ? AND environment = ? AND id = ?")
      .get(delivery.accountId, delivery.environment, delivery.webhookId) as Row | undefined;
    if (!event || !webhook) {
      this.#db.sql("UPDATE webhook_deliveries SET status = 'failed', last_error = ?, last_attempt_at = ? WHERE id = ?")
        .run(webhook ? 'the event is gone' : 'the webhook was deleted', now.getTime(), delivery.id);
      return undefined;
    }
    this.#db.sql('UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?').run(owner, leaseUntil.getTime(), delivery.id);
    return { delivery, event: toEvent(event), webhook: toWebhook(webhook) };
  }

  async recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome): Promise<boolean> {
    const at = outcome.at.getTime();
    const changed = this.#db.sql(`
      UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_attempt_at = ?, last_status_code = ?, last_error = ?,
        next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,
        last_request = ?, last_response = ?, lease_owner = NULL, lease_until = NULL
      WHERE id = ? AND lease_owner = ? AND status = 'pending'
    `).run(outcome.status, at, outcome.statusCode ?? null, outcome.error ?? null, outcome.nextAttemptAt?.getTime() ?? null,
      outcome.status, at, outcome.request ?? null, outcome.response ?? null, deliveryId, owner).changes;
    return Number(changed) === 1;
  }

  async redeliver(accountId: string, webhookId: string, deliveryId: string, now: Date): Promise<WebhookDelivery | undefined> {
    const row = this.#db.sql(`
      UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL, lease_owner = NULL, lease_until = NULL
      WHERE id = ? AND account_id = ? AND webhook_id = ? AND status != 'pending' RETURNING *
    `).get(now.getTime(), deliveryId, accountId, webhookId) as Row | undefined;
    return row ? toDelivery(row) : undefined;
  }

  async listDeliveries(accountId: string, webhookId: string, page: { limit: number; before?: string | undefined }) {
    return (this.#db.sql(`
      SELECT * FROM webhook_deliveries WHERE account_id = ? AND webhook_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?
    `).all(accountId, webhookId, page.before ?? null, page.before ?? null, Math.max(0, page.limit)) as Row[]).map(toDelivery);
  }

  /** Finished deliveries past DELIVERY_RETENTION_MS go, then fanned-out events no pending delivery needs. */
  sweep(now: number): number {
    const cutoff = now - DELIVERY_RETENTION_MS;
    return this.#db.transaction(() => {
      const deliveries = this.#db.sql("DELETE FROM webhook_deliveries WHERE status != 'pending' AND last_attempt_at < ?").run(cutoff).changes;
      const events = this.#db.sql(`
        DELETE FROM outbox_events WHERE fanned_out_at < ?
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id)
      `).run(cutoff).changes;
      return Number(deliveries) + Number(events);
    });
  }
}
