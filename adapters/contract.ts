// The storage contract: every store (embedded node:sqlite, MongoDB) implements this interface,
// and test/store/contract.test.ts runs the same suite against each.
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
  /** Deletes every record of every model that belongs to the grant. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** The newest unexpired Grant a user gave a client, to remember consent across sessions. */
  findGrantId(accountId: string, clientId: string): Promise<string | undefined>;
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
  /** HMAC-SHA256 of the secret under the pepper; never the secret itself. */
  readonly secretHash: string | undefined;
  /** Public keys for private_key_jwt. */
  readonly jwks: { keys: object[] } | undefined;
  readonly createdAt: Date;
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
  createClient(client: ClientRecord): Promise<void>;
  findClient(id: string): Promise<ClientRecord | undefined>;
  listClients(accountId: string): Promise<ClientRecord[]>;
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
  readonly lastUsedAt: Date | undefined;
}

export interface AuditEvent {
  readonly id: string;
  readonly accountId: string;
  /** `user:<id>`, `client:<id>`, `api_key:<id>`, `cli` or `system`. */
  readonly actor: string;
  /** `api_key.created`, `api_key.rolled`, `api_key.revoked`. */
  readonly action: string;
  readonly targetId: string;
  readonly reason: string | undefined;
  readonly at: Date;
}

export interface ApiKeyStore {
  /** Stores the key and its audit event together. */
  createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(accountId: string): Promise<ApiKeyRecord[]>;
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
  listAuditEvents(accountId: string, limit: number): Promise<AuditEvent[]>;
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
  insertRecord(record: PartnerRecord): Promise<void>;
  findRecord(partition: PartitionKey, id: string): Promise<PartnerRecord | undefined>;
  /** Replaces `data`; undefined when no such record in this partition. */
  updateRecord(partition: PartitionKey, id: string, data: Record<string, unknown>, at: Date): Promise<PartnerRecord | undefined>;
  deleteRecord(partition: PartitionKey, id: string): Promise<boolean>;
  /** Ids sort by creation time: the page after `after`, in id order. */
  listRecords(partition: PartitionKey, page: { limit: number; after?: string | undefined }): Promise<PartnerRecord[]>;
}

export interface Store extends AccountStore, ClientStore, SecretStore, ApiKeyStore, PartnerDataStore {
  readonly kind: 'embedded' | 'mongodb';
  /** Human description for the boot log, without credentials. */
  readonly description: string;
  readonly oidc: OidcModelStore;
  /** Resolves when the store answers; StoreUnavailableError when it cannot be reached. */
  ping(): Promise<void>;
  /** Deletes expired records; returns how many went. */
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
