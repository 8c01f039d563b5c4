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

export interface Store extends AccountStore, ClientStore, SecretStore {
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
