// The storage contract, webhooks and leaks: the outbox written with each change, deliveries leased
// to workers, and leak reports. Part of adapters/contract.ts, which re-exports it.
import type { Environment, PartnerRecord } from './contract-base.ts';
import type { ClientRecord } from './contract-clients.ts';

/** What a Partner API change stores with it, all or nothing. */
export interface RecordsAlong {
  readonly records?: readonly PartnerRecord[];
  readonly event?: OutboxEvent;
}

/**
 * A webhook event, recorded in the same transaction as the change that caused it (the outbox).
 * Workers fan it out into one delivery per subscribed webhook and deliver those.
 */
export interface OutboxEvent {
  /** `evt_…`, sortable by creation. */
  readonly id: string;
  /** Whose webhooks hear it: the account the credential or object belongs to, in its environment. */
  readonly accountId: string;
  readonly environment: Environment;
  /** `contact.created`, `api_key.revoked`, … (config/webhooks.ts). */
  readonly type: string;
  /** Ids and facts only, never a credential's value. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  /** `msg_…`: the `webhook-id` header, the same on every attempt (receivers deduplicate by it). */
  readonly id: string;
  readonly eventId: string;
  readonly webhookId: string;
  readonly accountId: string;
  readonly environment: Environment;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When a pending delivery is next due. */
  readonly nextAttemptAt: Date;
  readonly lastAttemptAt: Date | undefined;
  /** The receiver's HTTP status on the last attempt; unset when it gave none (timeout, refused, blocked address). */
  readonly lastStatusCode: number | undefined;
  /** Our words for a failed attempt without a status. */
  readonly lastError: string | undefined;
  /** The last attempt's request body as sent (ids and facts only; no header, so no signature). */
  readonly lastRequest?: string | undefined;
  /** The start of the receiver's answer to the last attempt (at most WEBHOOK_RESPONSE_EXCERPT characters, printable). */
  readonly lastResponse?: string | undefined;
  readonly createdAt: Date;
  readonly deliveredAt: Date | undefined;
}

/** A delivery leased to one worker, with what it needs to send it. */
export interface ClaimedDelivery {
  readonly delivery: WebhookDelivery;
  readonly event: OutboxEvent;
  readonly webhook: PartnerRecord;
}

export interface AttemptOutcome {
  readonly at: Date;
  readonly statusCode: number | undefined;
  readonly error: string | undefined;
  /** `delivered`; `pending` again (due at `nextAttemptAt`); or `failed` for good. */
  readonly status: DeliveryStatus;
  readonly nextAttemptAt?: Date | undefined;
  readonly request?: string | undefined;
  readonly response?: string | undefined;
}

/** A leak report, kept whatever it matched (the answer is given only once it is stored). */
export interface LeakReport {
  readonly id: string;
  readonly source: 'public' | 'github';
  readonly receivedAt: Date;
  /** How many strings were reported and how many were credentials we issued; never the strings. */
  readonly reported: number;
  readonly matched: number;
  /** The address it came from (public reports), or the report's first URL (GitHub). */
  readonly origin: string | undefined;
}

export interface OutboxStore {
  /** Records an event that goes with no other change. */
  enqueueEvent(event: OutboxEvent): Promise<void>;
  /**
   * Turns up to `limit` events not yet fanned out into one pending delivery (due now) per webhook
   * of the event's account and environment whose `data.events` holds its type and which is not
   * disabled (`data.disabled_at` unset), and marks the events done. Idempotent: one delivery per
   * event and webhook whatever the crashes and however many instances run it. Returns the count of
   * events handled.
   */
  fanOutEvents(limit: number, now: Date): Promise<number>;
  /**
   * Leases up to `limit` due deliveries (pending, nextAttemptAt <= now, no lease or an expired one)
   * to `owner` until `leaseUntil`, oldest due first, atomically: two callers never hold one together.
   */
  claimDeliveries(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt and frees the lease, only while `owner` still holds it; false otherwise (changes nothing). */
  recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome): Promise<boolean>;
  /**
   * Sends a finished (delivered or failed) delivery of the account's webhook again, from the first
   * attempt, due `now`; the delivery as it is then, or undefined when there is no such finished one.
   */
  redeliver(accountId: string, webhookId: string, deliveryId: string, now: Date): Promise<WebhookDelivery | undefined>;
  /** A webhook's deliveries, newest first; the page of those older than `before` (a delivery id). */
  listDeliveries(accountId: string, webhookId: string, page: { limit: number; before?: string | undefined }): Promise<WebhookDelivery[]>;
}

/** Whose webhooks: an account, in one environment. */
export interface WebhookPlace {
  readonly accountId: string;
  readonly environment: Environment;
}

/**
 * Webhooks (records of kind `webhook`: the URL, events, sealed signing secret and health notes in
 * `data`), in a table (collection) of their own, apart from the Partner API's records.
 */
export interface WebhookStore {
  insertWebhook(webhook: PartnerRecord): Promise<void>;
  findWebhook(place: WebhookPlace, id: string): Promise<PartnerRecord | undefined>;
  /** Ids sort by creation time: the page after `after`, in id order. */
  listWebhooks(place: WebhookPlace, page: { limit: number; after?: string | undefined }): Promise<PartnerRecord[]>;
  /** Replaces `data`; undefined when there is no such webhook. */
  updateWebhook(place: WebhookPlace, id: string, data: Record<string, unknown>, at: Date): Promise<PartnerRecord | undefined>;
  deleteWebhook(place: WebhookPlace, id: string): Promise<boolean>;
  /** Every account's webhooks, in id order, the page after `after` (`latchkey pepper rotate` re-seals their secrets). */
  listAllWebhooks(page: { limit: number; after?: string | undefined }): Promise<PartnerRecord[]>;
}

export interface LeakStore {
  /** The client holding a secret with this hash, live or not (the newest or any still listed). */
  findClientBySecretHash(hash: string): Promise<ClientRecord | undefined>;
  recordLeakReport(report: LeakReport): Promise<void>;
  /** How many client secrets that still work at `now` have hashes made under each pepper id (`1`: a bare hash). */
  countClientSecretHashesByPepper(now: Date): Promise<Record<string, number>>;
}
