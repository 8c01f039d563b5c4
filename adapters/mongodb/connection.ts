// What every part of the MongoDB store shares: the client's options, typed collection accessors
// (the document shapes are in documents.ts), the error mapping (unreachable, overloaded or electing
// server -> StoreUnavailableError, unique violation -> DuplicateError) and the transaction helper.
import { CredentialsListeners } from '../credentials-changes.ts';
import {
  MongoClientClosedError,
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
  type ClientSession,
  type Collection,
  type Db,
  type MongoClient,
  type MongoClientOptions,
} from 'mongodb';
import { DuplicateError, StoreUnavailableError } from '../contract.ts';
import {
  type AccountDocument, type ApiKeyDocument, type AuditDocument, COLLECTIONS, type ClientDocument,
  type ClientLogoDocument, type CounterDocument, type CredentialChangeDocument, type DeliveryDocument,
  type LeakReportDocument, type OidcDocument, type OutboxEventDocument, type RecordDocument,
  type SecretDocument, type TombstoneDocument, type UserDocument, type UserTokenDocument, type InvitationDocument, type MailDocument, oidcCollectionName,
} from './documents.ts';

const DUPLICATE_KEY = 11000;

/** The URI's hosts, without credentials or options, for messages and logs. */
export function describeMongoUri(uri: string): string {
  const authority = uri.replace(/^mongodb(\+srv)?:\/\//, '').split(/[/?]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1) || '(no host)';
}

/**
 * How long a majority write may wait for the secondaries before failing (then 503, not a hung
 * request): 10 s covers an election, which usually takes a few seconds.
 */
export const WRITE_TIMEOUT_MS = 10_000;
/** How long a request waits for a pooled connection, and for a server, before 503. */
const POOL_WAIT_MS = 5000;
const SERVER_SELECTION_MS = 5000;

/**
 * A commit gets WRITE_TIMEOUT_MS too: without maxCommitTimeMS, a commit that hits the write
 * concern's wtimeout is retried by withTransaction until its own 120 s deadline; with it, the
 * server answers MaxTimeMSExpired, which withTransaction does not retry (then 503).
 */
export const TRANSACTION_OPTIONS = { maxCommitTimeMS: WRITE_TIMEOUT_MS } as const;

/** The client's options: majority reads and writes, bounded waits (unless the URI sets its own). */
export function clientOptions(uri: string): MongoClientOptions {
  const set = (name: string) => new RegExp(`[?&]${name}=`, 'i').test(uri);
  return {
    ...(set('serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: SERVER_SELECTION_MS }),
    ...(set('waitQueueTimeoutMS') ? {} : { waitQueueTimeoutMS: POOL_WAIT_MS }),
    writeConcern: { w: 'majority', wtimeoutMS: WRITE_TIMEOUT_MS },
    readConcern: { level: 'majority' },
    appName: 'latchkey',
  };
}

/**
 * Server codes of a node that is not (or no longer) primary, or is stepping down or shutting down
 * (an election is under way and the request may succeed once it is over), and of a commit that ran
 * out of its time.
 */
const ELECTION_CODES = new Set([
  50, // MaxTimeMSExpired: a commit past maxCommitTimeMS (majority not reached in time), not retried
  10107, // NotWritablePrimary
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  189, // PrimarySteppedDown
  11602, // InterruptedDueToReplStateChange
  11600, // InterruptedAtShutdown
  91, // ShutdownInProgress
]);

/** Labels by which the driver or server says "retry later", not "this request is wrong". */
const RETRY_LATER_LABELS: readonly string[] = [
  MongoErrorLabel.RetryableWriteError,
  MongoErrorLabel.TransientTransactionError,
  MongoErrorLabel.SystemOverloadedError,
  MongoErrorLabel.RetryableError,
];

/** True for a failure the client may retry after a pause (answered 503 + Retry-After upstream). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof MongoNetworkError
    || err instanceof MongoServerSelectionError
    || err instanceof MongoNotConnectedError
    || err instanceof MongoTopologyClosedError
    || err instanceof MongoClientClosedError
    // Majority not reached within WRITE_TIMEOUT_MS (or the primary stepped down meanwhile).
    || err instanceof MongoWriteConcernError) return true;
  if (!(err instanceof MongoError)) return false;
  if (RETRY_LATER_LABELS.some((label) => err.hasErrorLabel(label))) return true;
  return err instanceof MongoServerError && typeof err.code === 'number' && ELECTION_CODES.has(err.code);
}

/**
 * True for a failed write that may all the same have been written: the primary applied it but
 * majority was not confirmed in time (a write concern error), the connection was lost after it was
 * sent (after the driver's one retry), or a commit's result is unknown. A write that must not stay
 * half-known (consume) undoes itself then.
 */
export function mayHaveApplied(err: unknown): boolean {
  return err instanceof MongoWriteConcernError || err instanceof MongoNetworkError
    || (err instanceof MongoError && err.hasErrorLabel(MongoErrorLabel.UnknownTransactionCommitResult));
}

export function isDuplicateKey(err: unknown): err is MongoServerError {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

/**
 * The field a duplicate-key error is about, from the server's `keyPattern` (the violated index's
 * keys) looked up in `fields`; `fallback` when the server does not say or the key is not listed.
 */
export function duplicateField(err: MongoServerError, fields: Readonly<Record<string, string>>, fallback: string): string {
  const keyPattern: unknown = err.keyPattern;
  const key = keyPattern && typeof keyPattern === 'object' ? Object.keys(keyPattern)[0] : undefined;
  return (key !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined) ?? fallback;
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

/**
 * Runs an insert; a unique-index violation becomes DuplicateError naming the field: `field`, or the
 * one `fields` gives for the violated index's first key.
 */
export async function uniquely<T>(field: string, operation: () => Promise<T>, fields: Readonly<Record<string, string>> = {}): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (isDuplicateKey(err)) throw new DuplicateError(duplicateField(err, fields, field));
    throw err;
  }
}

/** Records without expiry, or whose expiry is still ahead. */
export const alive = (now: Date) => ({ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });

/** The client and database, with typed accessors; every domain of the store is built on one. */
export class Connection {
  readonly client: MongoClient;
  readonly db: Db;

  /** This process's listeners of credentials changes, told after the transaction that made one commits. */
  readonly credentials = new CredentialsListeners();
  /** Sessions whose transaction marked a credentials change. */
  readonly #changedIn = new WeakSet<ClientSession>();

  constructor(client: MongoClient, db: Db) {
    this.client = client;
    this.db = db;
  }

  /** Called by markCredentialsChanged inside `session`'s transaction: listeners run after it commits. */
  credentialsChangedIn(session: ClientSession): void {
    this.#changedIn.add(session);
  }

  /**
   * Runs `work` in a transaction (needs a replica set; a one-node one is fine). The driver retries
   * `work` on a transient error such as a write conflict, so it must pass `session` to every operation
   * and must not swallow errors.
   */
  async transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    try {
      const result = await guard(() => session.withTransaction(() => work(session), TRANSACTION_OPTIONS));
      if (this.#changedIn.has(session)) this.credentials.notify();
      return result;
    } finally {
      await session.endSession();
    }
  }

  accounts() { return this.db.collection<AccountDocument>(COLLECTIONS.accounts); }
  users() { return this.db.collection<UserDocument>(COLLECTIONS.users); }
  userTokens() { return this.db.collection<UserTokenDocument>(COLLECTIONS.userTokens); }
  invitations() { return this.db.collection<InvitationDocument>(COLLECTIONS.invitations); }
  mail() { return this.db.collection<MailDocument>(COLLECTIONS.mail); }
  clients() { return this.db.collection<ClientDocument>(COLLECTIONS.clients); }
  clientLogos() { return this.db.collection<ClientLogoDocument>(COLLECTIONS.clientLogos); }
  secrets() { return this.db.collection<SecretDocument>(COLLECTIONS.secrets); }
  apiKeys() { return this.db.collection<ApiKeyDocument>(COLLECTIONS.apiKeys); }
  audit() { return this.db.collection<AuditDocument>(COLLECTIONS.audit); }
  records() { return this.db.collection<RecordDocument>(COLLECTIONS.records); }
  /** Webhooks: documents shaped as records (kind `webhook`), in a collection of their own (schema version 11). */
  webhooks() { return this.db.collection<RecordDocument>(COLLECTIONS.webhooks); }
  tombstones() { return this.db.collection<TombstoneDocument>(COLLECTIONS.tombstones); }
  counters() { return this.db.collection<CounterDocument>(COLLECTIONS.counters); }
  outbox() { return this.db.collection<OutboxEventDocument>(COLLECTIONS.outbox); }
  deliveries() { return this.db.collection<DeliveryDocument>(COLLECTIONS.deliveries); }
  leakReports() { return this.db.collection<LeakReportDocument>(COLLECTIONS.leakReports); }
  credentialChanges() { return this.db.collection<CredentialChangeDocument>(COLLECTIONS.credentialChanges); }
  /** Without index creation: boot creates the indexes of every known model (see indexes.ts). */
  oidc(model: string): Collection<OidcDocument> { return this.db.collection<OidcDocument>(oidcCollectionName(model)); }
}
