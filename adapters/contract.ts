// The storage contract: every store (embedded node:sqlite, MongoDB) implements this interface,
// and test/store/contract.test.ts runs the same suite against each.
import type { GrantRevocationReason } from '../config/revocation.ts';
import type { ClientType } from '../config/scopes.ts';

export type Environment = 'test' | 'live';

/** What oidc-provider keeps per model (AccessToken, Grant, Session, ...). */
export interface OidcPayload {
  [key: string]: unknown;
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
}

export interface OidcModelStore {
  upsert(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void>;
  /** Never returns an expired record. */
  find(model: string, id: string): Promise<OidcPayload | undefined>;
  findByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Marks a record consumed. Atomic and conditional: resolves `true` for exactly one caller,
   * `false` when the record was already consumed, has expired or does not exist.
   */
  consume(model: string, id: string): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  /**
   * The one path by which a grant dies, all or nothing: deletes the Grant and every record of any
   * model bound to it, leaves a tombstone for each of its refresh tokens (an existing tombstone
   * keeps its first reason), and records a `grant.revoked` audit event in the client owner's
   * account (and in the user's, when that is another), and revokes every API key bound to the
   * grant (with an `api_key.revoked` event each). Resolves true for the call that revoked;
   * a later call finds nothing left, changes nothing, records nothing and resolves false.
   */
  revokeByGrantId(grantId: string, revocation: GrantRevocation): Promise<boolean>;
  /** Why a refresh token (by its storage id) stopped working; kept until that token's own expiry. */
  findTombstone(id: string): Promise<RefreshTombstone | undefined>;
  /** Every unexpired Grant a user gave, newest first (the apps connected to their account). */
  listGrants(accountId: string): Promise<OidcPayload[]>;
  /**
   * When each grant was last used: the issue time of its newest refresh token (the last refresh, or
   * the first token). Grants with no refresh token are absent from the map.
   */
  grantsLastUsed(grantIds: readonly string[]): Promise<Map<string, Date>>;
  /** The newest unexpired Grant a user gave a client, to remember consent across sessions. */
  findGrantId(accountId: string, clientId: string): Promise<string | undefined>;
}

export interface GrantRevocation {
  readonly reason: GrantRevocationReason;
  /** Who: `user:<id>`, `client:<id>`, `cli` or `system`. */
  readonly actor: string;
  readonly at: Date;
}

/** What is left of a refresh token whose grant was revoked: enough to say why it no longer works. */
export interface RefreshTombstone {
  /** The refresh token's storage id (a hash; the token itself is never stored). */
  readonly id: string;
  readonly reason: GrantRevocationReason;
  readonly at: Date;
  readonly grantId: string;
  /** The user the grant was given by (oidc-provider's accountId). */
  readonly accountId: string | undefined;
  readonly clientId: string | undefined;
  readonly expiresAt: Date;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface User {
  readonly id: string;
  readonly accountId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAt: Date;
}

/** One of a client's secrets, as a hash. A client holds its newest secret and any still overlapping. */
export interface ClientSecretRecord {
  /** Stable id (`cs_…`), shown in the portal and the audit trail; never the secret. */
  readonly id: string;
  /** HMAC-SHA256 of the secret under the pepper. */
  readonly hash: string;
  /** The secret's last four characters, a display hint. */
  readonly last4: string;
  readonly createdAt: Date;
  /** Set when a newer secret replaced it: the end of its overlap. Unset on the newest secret. */
  readonly expiresAt: Date | undefined;
  /** Set when revoked (reported leaked, rotated with no overlap): it never works again. */
  readonly revokedAt: Date | undefined;
  readonly revokedReason: string | undefined;
}

/** A logo uploaded (or fetched once) at registration, served from our own origin. */
export interface ClientLogo {
  readonly contentType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  readonly bytes: Uint8Array;
}

export interface ClientRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly type: ClientType;
  readonly environment: Environment;
  readonly scopes: readonly string[];
  readonly redirectUris: readonly string[];
  /** `client_secret_basic` (and `_post`) or `private_key_jwt`. */
  readonly authMethod: 'client_secret_basic' | 'private_key_jwt';
  /** HMAC-SHA256 of the newest live secret under the pepper; never the secret itself. Unset when none works. */
  readonly secretHash: string | undefined;
  /**
   * Every secret not yet pruned, newest first: the newest, those still in their overlap, and revoked
   * or expired ones kept for display until the next change. Authentication accepts any entry neither
   * revoked nor past its expiresAt.
   */
  readonly secrets: readonly ClientSecretRecord[];
  /** Public keys for private_key_jwt. */
  readonly jwks: { keys: object[] } | undefined;
  /** The app's homepage (web apps), shown on the consent page. */
  readonly homepageUrl: string | undefined;
  /** A content digest of the logo when one is stored (findClientLogo), for cache-busting URLs. */
  readonly logoDigest: string | undefined;
  /**
   * For a `resource_server` client only: the resource (absolute URL) whose access tokens and API keys
   * it may introspect.
   */
  readonly resource: string | undefined;
  /** Who registered it: `user:<id>`, `client:<id>`, `api_key:<id>` or `cli`. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Bumped by every change; updateClient is conditional on it (two edits never silently merge). */
  readonly revision: number;
}

export interface AccountStore {
  /** Creates the account and its first user, all or nothing; DuplicateError when the email is taken. */
  createAccount(account: Account, owner: User): Promise<void>;
  findAccount(id: string): Promise<Account | undefined>;
  /** Rejects with DuplicateError when the email is taken (emails are compared lower-cased). */
  createUser(user: User): Promise<void>;
  findUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
}

export interface ClientStore {
  /** Stores the client (and its logo, when given) with its `client.created` event, all or nothing. */
  createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo): Promise<void>;
  findClient(id: string): Promise<ClientRecord | undefined>;
  /** The account's clients, oldest first. */
  listClients(accountId: string): Promise<ClientRecord[]>;
  /**
   * Replaces the client with `next` (whose revision is `expectedRevision + 1`) and records the event,
   * all or nothing, only when the stored revision is still `expectedRevision`; false (nothing changed)
   * otherwise or when the client is gone. `logo`: a new logo to store, or null to remove it.
   */
  updateClient(next: ClientRecord, expectedRevision: number, event: AuditEvent, logo?: ClientLogo | null): Promise<boolean>;
  /**
   * Deletes the client and its logo, records the event, and ends everything it let anyone do, as one
   * operation that a crash cannot leave half done (a retry completes it): every grant of the client
   * dies through the grant revocation path (reason `client_deleted`, so its refresh tokens leave
   * tombstones), and every unrevoked API key created by `client:<id>` is revoked. False when no such client.
   */
  deleteClient(id: string, event: AuditEvent): Promise<boolean>;
  findClientLogo(clientId: string): Promise<ClientLogo | undefined>;
}

/** Server-wide secrets (signing keys, cookie keys, pepper) shared by every instance. */
export interface SecretStore {
  /**
   * Returns the stored value for `name`; when there is none, stores `candidate` and returns it.
   * Atomic: two instances racing at first boot end up with the same value.
   */
  getOrCreateSecret(name: string, candidate: string): Promise<string>;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly accountId: string;
  readonly environment: Environment;
  readonly name: string;
  readonly scopes: readonly string[];
  /** HMAC-SHA256 of the key under the pepper; the key itself is never stored. */
  readonly hash: string;
  /** Display hint: `sk_live_` and the last four characters. */
  readonly prefix: string;
  readonly last4: string;
  /** Who created it: `user:<id>`, `client:<id>`, `api_key:<id>` or `cli`. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly revokedAt: Date | undefined;
  readonly revokedReason: string | undefined;
  /** Set on a rolled key: its successor. The key keeps working until expiresAt (the overlap). */
  readonly replacedBy: string | undefined;
  /** Set on a key made by a roll: its predecessor. */
  readonly replaces: string | undefined;
  /**
   * The grant of the user-delegated token that created it (or of its predecessor): the key is
   * revoked whenever that grant dies (revokeByGrantId).
   */
  readonly grantId: string | undefined;
  readonly lastUsedAt: Date | undefined;
}

export interface AuditEvent {
  readonly id: string;
  readonly accountId: string;
  /** `user:<id>`, `client:<id>`, `api_key:<id>`, `cli` or `system`. */
  readonly actor: string;
  /**
   * `api_key.created|rolled|revoked`, `client.created|updated|secret_rotated|deleted`,
   * `consent.granted`, `account.created`, `grant.revoked` (its reason says why: revoked_by_user, reused, …).
   */
  readonly action: string;
  readonly targetId: string;
  readonly reason: string | undefined;
  readonly at: Date;
  /**
   * Display facts kept with the event (the key's or app's name, the scopes consented, a leak report's
   * URL): never a credential's value.
   */
  readonly detail?: Readonly<Record<string, string>> | undefined;
}

export interface KeyPage {
  readonly limit: number;
  readonly after?: string | undefined;
  readonly environment?: Environment | undefined;
}

export interface ApiKeyStore {
  /** Stores the key and its audit event together. */
  createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** In id (creation) order; the page after `after` when given; one environment's when given. */
  listApiKeys(accountId: string, page?: KeyPage): Promise<ApiKeyRecord[]>;
  /** Keys of the account neither revoked nor expired at `now`. */
  countLiveApiKeys(accountId: string, now: Date): Promise<number>;
  /**
   * All or nothing: the old key gets `expiresAt` (the end of its overlap) and `replacedBy`, the new
   * key is stored, the event recorded. False (and nothing changed) when the old key is revoked or
   * was already rolled.
   */
  rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean>;
  /** Marks the key revoked; false when it already was or does not exist. */
  revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean>;
  /** Records a use; callers throttle it (see server/api-keys/last-used.ts). */
  touchApiKey(id: string, at: Date): Promise<void>;
  /** The account's newest events first; the page of those older than `before` (an event id) when given. */
  listAuditEvents(accountId: string, limit: number, before?: string): Promise<AuditEvent[]>;
  /** Records an event that goes with no other change (consent granted, a sign-up). */
  recordAuditEvent(event: AuditEvent): Promise<void>;
  /** One object's events (a key, a grant), newest first; the page of those older than `before` when given. */
  listTargetEvents(accountId: string, targetId: string, page: { limit: number; before?: string | undefined }): Promise<AuditEvent[]>;
}

export type RecordKind = 'contact' | 'event' | 'webhook' | 'invoice';

/** A Partner API object, partitioned by account and environment. */
export interface PartnerRecord {
  readonly id: string;
  readonly kind: RecordKind;
  readonly accountId: string;
  readonly environment: Environment;
  readonly data: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PartitionKey {
  readonly kind: RecordKind;
  readonly accountId: string;
  readonly environment: Environment;
}

export interface PartnerDataStore {
  /** `along`: records (the Partner API's event log entry) and a webhook event stored in the same transaction. */
  insertRecord(record: PartnerRecord, along?: RecordsAlong): Promise<void>;
  findRecord(partition: PartitionKey, id: string): Promise<PartnerRecord | undefined>;
  /** Replaces `data`; undefined (and nothing of `along` stored) when no such record in this partition. */
  updateRecord(partition: PartitionKey, id: string, data: Record<string, unknown>, at: Date, along?: RecordsAlong): Promise<PartnerRecord | undefined>;
  /** False (and nothing of `along` stored) when no such record. */
  deleteRecord(partition: PartitionKey, id: string, along?: RecordsAlong): Promise<boolean>;
  /** Ids sort by creation time: the page after `after`, in id order. */
  listRecords(partition: PartitionKey, page: { limit: number; after?: string | undefined }): Promise<PartnerRecord[]>;
}

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
  /** Our words for a failed attempt without a status (never the receiver's body). */
  readonly lastError: string | undefined;
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
  /** A webhook's deliveries, newest first; the page of those older than `before` (a delivery id). */
  listDeliveries(accountId: string, webhookId: string, page: { limit: number; before?: string | undefined }): Promise<WebhookDelivery[]>;
}

export interface LeakStore {
  /** The client holding a secret with this hash, live or not (the newest or any still listed). */
  findClientBySecretHash(hash: string): Promise<ClientRecord | undefined>;
  recordLeakReport(report: LeakReport): Promise<void>;
}

export interface Counter {
  readonly count: number;
  /** When this window ends and the count starts again from zero. */
  readonly resetAt: Date;
}

/** Fixed-window counters shared by every instance: what the rate limits count (failures only). */
export interface CounterStore {
  /**
   * Adds one to the counter and returns it, atomically (parallel hits each see a different count).
   * A counter with no open window starts a new one of `windowSeconds`.
   */
  hitCounter(key: string, windowSeconds: number): Promise<Counter>;
  /** The counter in its open window; undefined when there is none. */
  readCounter(key: string): Promise<Counter | undefined>;
  resetCounter(key: string): Promise<void>;
}

export interface Store extends AccountStore, ClientStore, SecretStore, ApiKeyStore, PartnerDataStore, CounterStore, OutboxStore, LeakStore {
  readonly kind: 'embedded' | 'mongodb';
  /** Human description for the boot log, without credentials. */
  readonly description: string;
  readonly oidc: OidcModelStore;
  /** Resolves when the store answers; StoreUnavailableError when it cannot be reached. */
  ping(): Promise<void>;
  /** The schema version this store is at (see its migrations). */
  schemaVersion(): Promise<number>;
  /**
   * Revokes every grant whose own lifetime (`payload.exp`) has ended, reason `grant_expired`, then
   * deletes expired records and tombstones; returns how many records went.
   */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

export class DuplicateError extends Error {
  readonly field: string;
  constructor(field: string) {
    super(`${field} is already taken`);
    this.name = 'DuplicateError';
    this.field = field;
  }
}

/** The store cannot be reached right now; the request may be retried. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The store's schema cannot be used by this version: written by a newer Latchkey, a migration
 * failed, or an existing index conflicts with the one this version needs. Boot stops with the message.
 */
export class StoreSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreSchemaError';
  }
}
