// The storage contract: every store (embedded node:sqlite, MongoDB) implements this interface,
// and test/store/contract.test.ts runs the same suite against each.
import type { GrantRevocationReason } from '../config/revocation.ts';
import type { Environment, PartnerRecord, RecordKind } from './contract-base.ts';
import type { ClientStore } from './contract-clients.ts';
import type { LeakStore, OutboxStore, RecordsAlong, WebhookStore } from './contract-outbox.ts';
import type { AccountStore, MailStore } from './contract-accounts.ts';
import type { TeamStore } from './contract-teams.ts';
import type { BackupSummary, SecretStore } from './contract-keys.ts';
import type { ApiKeyStore } from './contract-api-keys.ts';

export type * from './contract-base.ts';
export type * from './contract-clients.ts';
export type * from './contract-outbox.ts';
export type * from './contract-accounts.ts';
export type * from './contract-teams.ts';
export type * from './contract-keys.ts';
export type * from './contract-api-keys.ts';


/** Which audit events a list keeps: every condition given must hold. */
export interface AuditFilter {
  /** Exact actions (`api_key.revoked`, …); empty or unset: all. */
  readonly actions?: readonly string[] | undefined;
  /** Exactly this actor (`user:<id>`, `api_key:<id>`, …). */
  readonly actor?: string | undefined;
  /** At or after. */
  readonly since?: Date | undefined;
  /** Before. */
  readonly until?: Date | undefined;
}

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
  /** A model's unexpired records in id order: the page after `after` (Latchkey's own lists, never oidc-provider's). */
  list(model: string, page: { limit: number; after?: string | undefined }): Promise<{ id: string; payload: OidcPayload }[]>;
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

/** Server-wide secrets (signing keys, cookie keys, pepper) shared by every instance. */




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
  /** Every partition's records of one kind, in id order, the page after `after`. */
  listAllRecords(kind: RecordKind, page: { limit: number; after?: string | undefined }): Promise<PartnerRecord[]>;
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

/** The schema work done when a store was opened. */
export interface SchemaReport {
  readonly from: number;
  readonly to: number;
  /** Migrations applied by this opening; empty when it was current or another instance migrated. */
  readonly applied: readonly number[];
  /** Indexes built by this opening (MongoDB, `collection.name`); the embedded store's come with its migrations. */
  readonly indexesBuilt: readonly string[];
}

/**
 * How a store is opened. `migrate` (the server, `latchkey migrate`) applies pending migrations and
 * builds missing indexes, announcing each through `progress`; `check` (every other CLI command)
 * builds nothing and refuses a MongoDB database whose schema is behind, naming `latchkey migrate`.
 * The embedded store always migrates: its file has one writer and its migrations take milliseconds.
 */
export interface OpenOptions {
  readonly schema?: 'migrate' | 'check';
  readonly progress?: (message: string) => void;
}

export interface Store extends AccountStore, TeamStore, MailStore, ClientStore, SecretStore, ApiKeyStore, PartnerDataStore, WebhookStore, CounterStore, OutboxStore, LeakStore {
  readonly kind: 'embedded' | 'mongodb';
  /** Human description for the boot log, without credentials. */
  readonly description: string;
  readonly oidc: OidcModelStore;
  /** Resolves when the store answers; StoreUnavailableError when it cannot be reached. */
  ping(): Promise<void>;
  /** The schema version this store is at (see its migrations). */
  schemaVersion(): Promise<number>;
  /** What opening the store did to its schema: `latchkey migrate` prints it. */
  readonly schemaReport: SchemaReport;
  /**
   * Revokes every grant whose own lifetime (`payload.exp`) has ended, reason `grant_expired`, then
   * deletes expired records and tombstones; returns how many records went. On MongoDB one instance
   * at a time sweeps (a lease); the others return 0.
   */
  sweepExpired(): Promise<number>;
  /**
   * The credentials generation: an opaque value that changes whenever a client, an API key or a
   * grant with bound keys changes (server/cache/credentials-changes.ts polls it on every instance).
   * It moves in the change's own transaction, also when the change finds its record already in the
   * target state, and never for an id that matches nothing.
   */
  credentialsGeneration(): Promise<string>;
  /** Calls `listener` after each such change this store object commits; returns the unsubscribe. */
  onCredentialsChange(listener: () => void): () => void;
  /**
   * A consistent copy of the store, taken while it serves, into `file` (which must not exist; it is
   * created 0600 before anything is written). BackupError when it cannot be made, and always on
   * MongoDB: its backups are the operator's (mongodump or snapshots, docs/mongodb.md).
   */
  backupTo(file: string): Promise<BackupSummary>;
  /**
   * Commits this process has made (the embedded store: one per batch of concurrent writes), and the
   * disk syncs (fsync) that made them durable, one for every batch committed while the last ran;
   * undefined where the store does not count them (MongoDB).
   */
  commits(): number | undefined;
  syncs(): number | undefined;
  close(): Promise<void>;
}


/** A backup could not be made; the message says why. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export class DuplicateError extends Error {
  readonly field: string;
  constructor(field: string) {
    super(`${field} is already taken`);
    this.name = 'DuplicateError';
    this.field = field;
  }
}

/**
 * A creation whose creator is no longer live: the key or client that creates it (`createdBy`) was
 * revoked, expired or deleted, or the grant it is bound to died, before the creation committed.
 * Stores check (and on MongoDB write) the creator inside the creation's transaction, so a creation
 * racing its creator's revocation never survives it.
 */
export class CreatorGoneError extends Error {
  constructor(message = 'the credential creating it (or the grant it is bound to) was revoked meanwhile') {
    super(message);
    this.name = 'CreatorGoneError';
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
