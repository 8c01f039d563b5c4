// What every part of the MongoDB store shares: the document shapes, typed collection accessors, the
// error mapping (unreachable server -> StoreUnavailableError, unique violation -> DuplicateError)
// and the transaction helper.
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type ClientSession,
  type Collection,
  type Db,
  type MongoClient,
} from 'mongodb';
import type { GrantRevocationReason } from '../../config/revocation.ts';
import {
  DuplicateError,
  StoreUnavailableError,
  type ApiKeyRecord,
  type AuditEvent,
  type ClientRecord,
  type OidcPayload,
  type PartnerRecord,
} from '../contract.ts';

export interface OidcDocument {
  _id: string;
  payload: OidcPayload;
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  clientId?: string;
  consumedAt: Date | null;
  expiresAt: Date | null;
}

export interface AccountDocument { _id: string; name: string; createdAt: Date }
export interface UserDocument { _id: string; accountId: string; email: string; passwordHash: string; createdAt: Date }
export interface ClientDocument extends Omit<ClientRecord, 'id' | 'secretHash' | 'jwks' | 'scopes' | 'redirectUris'> {
  _id: string;
  scopes: string[];
  redirectUris: string[];
  secretHash?: string;
  jwks?: { keys: object[] };
}
export interface SecretDocument { _id: string; value: string }
/** Optional fields are stored as null, so that filters like { revokedAt: null } match them. */
type Nullable<T> = { -readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
export type ApiKeyDocument = Nullable<Omit<ApiKeyRecord, 'id' | 'scopes'>> & { _id: string; scopes: string[] };
export type AuditDocument = Nullable<Omit<AuditEvent, 'id'>> & { _id: string };
export interface RecordDocument {
  _id: string;
  kind: PartnerRecord['kind'];
  accountId: string;
  environment: PartnerRecord['environment'];
  recordId: string;
  data: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}
/** `_id` is the refresh token's storage id. */
/** A rate-limit counter; the TTL index removes it once its window has ended. */
export interface CounterDocument { _id: string; count: number; resetAt: Date }

export interface TombstoneDocument {
  _id: string;
  reason: GrantRevocationReason;
  at: Date;
  grantId: string;
  accountId: string | null;
  clientId: string | null;
  expiresAt: Date;
}
/** One per applied schema version. */
export interface MigrationDocument { _id: number; name: string; appliedAt: Date }
/** The single `migrate` lock: whoever inserted it (or took over an expired one) migrates. */
export interface LockDocument { _id: string; owner: string; expiresAt: Date }

export const COLLECTIONS = {
  accounts: 'accounts',
  users: 'users',
  clients: 'clients',
  secrets: 'secrets',
  apiKeys: 'api_keys',
  audit: 'audit_events',
  records: 'records',
  tombstones: 'refresh_tombstones',
  counters: 'counters',
  migrations: 'schema_migrations',
  lock: 'schema_lock',
} as const;

/** The collection of one oidc-provider model. */
export const oidcCollectionName = (model: string) => `oidc_${model}`;

const DUPLICATE_KEY = 11000;

/** The URI's hosts, without credentials or options, for messages and logs. */
export function describeMongoUri(uri: string): string {
  const authority = uri.replace(/^mongodb(\+srv)?:\/\//, '').split(/[/?]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1) || '(no host)';
}

export function isUnavailable(err: unknown): boolean {
  return err instanceof MongoNetworkError
    || err instanceof MongoServerSelectionError
    || err instanceof MongoNotConnectedError
    || err instanceof MongoTopologyClosedError
    || (err instanceof MongoError && (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError')));
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

/** Runs a store operation; an unreachable MongoDB becomes StoreUnavailableError (HTTP 503). */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError('MongoDB is unreachable', { cause: err });
    throw err;
  }
}

/** Runs an insert; a unique-index violation becomes DuplicateError naming the field. */
export async function uniquely<T>(field: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (isDuplicateKey(err)) throw new DuplicateError(field);
    throw err;
  }
}

/** Records without expiry, or whose expiry is still ahead. */
export const alive = (now: Date) => ({ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });

/** The client and database, with typed accessors; every domain of the store is built on one. */
export class Connection {
  readonly client: MongoClient;
  readonly db: Db;

  constructor(client: MongoClient, db: Db) {
    this.client = client;
    this.db = db;
  }

  /**
   * Runs `work` in a transaction (needs a replica set; a one-node one is fine). The driver retries
   * `work` on a transient error such as a write conflict, so it must pass `session` to every operation
   * and must not swallow errors.
   */
  async transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    try {
      return await guard(() => session.withTransaction(() => work(session)));
    } finally {
      await session.endSession();
    }
  }

  accounts() { return this.db.collection<AccountDocument>(COLLECTIONS.accounts); }
  users() { return this.db.collection<UserDocument>(COLLECTIONS.users); }
  clients() { return this.db.collection<ClientDocument>(COLLECTIONS.clients); }
  secrets() { return this.db.collection<SecretDocument>(COLLECTIONS.secrets); }
  apiKeys() { return this.db.collection<ApiKeyDocument>(COLLECTIONS.apiKeys); }
  audit() { return this.db.collection<AuditDocument>(COLLECTIONS.audit); }
  records() { return this.db.collection<RecordDocument>(COLLECTIONS.records); }
  tombstones() { return this.db.collection<TombstoneDocument>(COLLECTIONS.tombstones); }
  counters() { return this.db.collection<CounterDocument>(COLLECTIONS.counters); }
  /** Without index creation: boot creates the indexes of every known model (see indexes.ts). */
  oidc(model: string): Collection<OidcDocument> { return this.db.collection<OidcDocument>(oidcCollectionName(model)); }
}
