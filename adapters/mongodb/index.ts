// The MongoDB store: the production backend. One collection per oidc-provider model with a TTL
// index on `expiresAt`, majority writes, an atomic conditional consume, and a transaction where a
// change spans documents (an account and its owner). Transactions need a replica set; a one-node
// replica set is fine (docker-compose.yml runs one).
import {
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type ClientSession,
  type Collection,
  type Db,
} from 'mongodb';
import {
  DuplicateError,
  StoreUnavailableError,
  type Account,
  type ApiKeyRecord,
  type AuditEvent,
  type ClientRecord,
  type PartitionKey,
  type PartnerRecord,
  type OidcModelStore,
  type OidcPayload,
  type Store,
  type User,
} from '../contract.ts';

interface OidcDocument {
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

interface AccountDocument { _id: string; name: string; createdAt: Date }
interface UserDocument { _id: string; accountId: string; email: string; passwordHash: string; createdAt: Date }
interface ClientDocument extends Omit<ClientRecord, 'id' | 'secretHash' | 'jwks' | 'scopes' | 'redirectUris'> {
  _id: string;
  scopes: string[];
  redirectUris: string[];
  secretHash?: string;
  jwks?: { keys: object[] };
}
interface SecretDocument { _id: string; value: string }
/** Optional fields are stored as null, so that filters like { revokedAt: null } match them. */
type Nullable<T> = { -readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
type ApiKeyDocument = Nullable<Omit<ApiKeyRecord, 'id' | 'scopes'>> & { _id: string; scopes: string[] };
type AuditDocument = Nullable<Omit<AuditEvent, 'id'>> & { _id: string };
interface RecordDocument {
  _id: string;
  kind: PartnerRecord['kind'];
  accountId: string;
  environment: PartnerRecord['environment'];
  recordId: string;
  data: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** oidc-provider models whose records carry a grantId: revoking a grant clears them all. */
const GRANT_BOUND_MODELS = [
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials',
];

const DUPLICATE_KEY = 11000;

/** The URI's hosts, without credentials or options, for messages and logs. */
export function describeMongoUri(uri: string): string {
  const authority = uri.replace(/^mongodb(\+srv)?:\/\//, '').split(/[/?]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1) || '(no host)';
}

function isUnavailable(err: unknown): boolean {
  return err instanceof MongoNetworkError
    || err instanceof MongoServerSelectionError
    || err instanceof MongoNotConnectedError
    || err instanceof MongoTopologyClosedError
    || (err instanceof MongoError && (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError')));
}

/** Runs a store operation; an unreachable MongoDB becomes StoreUnavailableError (HTTP 503). */
async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError('MongoDB is unreachable', { cause: err });
    throw err;
  }
}

/** Runs an insert; a unique-index violation becomes DuplicateError naming the field. */
async function uniquely<T>(field: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) throw new DuplicateError(field);
    throw err;
  }
}

const alive = (now: Date) => ({ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });

class MongoOidcStore implements OidcModelStore {
  readonly #db: Db;
  readonly #indexed = new Set<string>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** One collection per model, its indexes created on first use (idempotent). */
  async collection(model: string): Promise<Collection<OidcDocument>> {
    const collection = this.#db.collection<OidcDocument>(`oidc_${model}`);
    if (!this.#indexed.has(model)) {
      await collection.createIndexes([
        // The TTL monitor deletes expired records within about a minute; reads filter them meanwhile.
        { key: { expiresAt: 1 }, name: 'ttl', expireAfterSeconds: 0 },
        { key: { grantId: 1 }, name: 'grantId', sparse: true },
        { key: { uid: 1 }, name: 'uid', sparse: true },
        { key: { userCode: 1 }, name: 'userCode', sparse: true },
        { key: { accountId: 1, clientId: 1, expiresAt: -1 }, name: 'accountClient', sparse: true },
      ]);
      this.#indexed.add(model);
    }
    return collection;
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const document: Omit<OidcDocument, '_id'> = {
      payload,
      consumedAt: typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000) : null,
      expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    for (const [key, value] of [['grantId', payload.grantId], ['uid', payload.uid], ['userCode', payload.userCode],
      ['accountId', payload.accountId], ['clientId', payload.clientId]] as const) {
      if (str(value)) document[key] = str(value);
    }
    await guard(async () => (await this.collection(model)).replaceOne({ _id: id }, document, { upsert: true }));
  }

  async #findOne(model: string, filter: Partial<Record<'_id' | 'uid' | 'userCode', string>>): Promise<OidcPayload | undefined> {
    const found = await guard(async () => (await this.collection(model)).findOne({ ...filter, ...alive(new Date()) }));
    return found?.payload;
  }

  find(model: string, id: string) { return this.#findOne(model, { _id: id }); }
  findByUid(model: string, uid: string) { return this.#findOne(model, { uid }); }
  findByUserCode(model: string, userCode: string) { return this.#findOne(model, { userCode }); }

  async consume(model: string, id: string): Promise<boolean> {
    const now = new Date();
    const updated = await guard(async () => (await this.collection(model)).findOneAndUpdate(
      { _id: id, consumedAt: null, ...alive(now) },
      { $set: { consumedAt: now, 'payload.consumed': Math.floor(now.getTime() / 1000) } },
      { projection: { _id: 1 } },
    ));
    return updated !== null;
  }

  async destroy(model: string, id: string): Promise<void> {
    await guard(async () => (await this.collection(model)).deleteOne({ _id: id }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // The grant first: once it is gone no token of the family validates, even if a delete below fails.
    await guard(async () => (await this.collection('Grant')).deleteOne({ _id: grantId }));
    await guard(() => Promise.all(GRANT_BOUND_MODELS.map(async (model) => (await this.collection(model)).deleteMany({ grantId }))));
  }

  async findGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const found = await guard(async () => (await this.collection('Grant'))
      .find({ accountId, clientId, ...alive(new Date()) }).sort({ expiresAt: -1 }).limit(1).project<{ _id: string }>({ _id: 1 }).next());
    return found?._id;
  }

  async sweep(): Promise<number> {
    const now = new Date();
    let removed = 0;
    const collections = await guard(() => this.#db.listCollections({ name: /^oidc_/ }, { nameOnly: true }).toArray());
    for (const { name } of collections) {
      removed += (await guard(() => this.#db.collection(name).deleteMany({ expiresAt: { $lte: now } }))).deletedCount;
    }
    return removed;
  }
}

function toClient(doc: ClientDocument): ClientRecord {
  const { _id, secretHash, jwks, ...rest } = doc;
  return { ...rest, id: _id, secretHash, jwks };
}

export class MongoStore implements Store {
  readonly kind = 'mongodb';
  readonly description: string;
  readonly oidc: MongoOidcStore;
  readonly #client: MongoClient;
  readonly #db: Db;

  private constructor(client: MongoClient, db: Db, description: string) {
    this.#client = client;
    this.#db = db;
    this.description = description;
    this.oidc = new MongoOidcStore(db);
  }

  /** Connects and creates the indexes; an unreachable server is an error naming its host, never its password. */
  static async connect(uri: string, database: string): Promise<MongoStore> {
    const hosts = describeMongoUri(uri);
    const client = new MongoClient(uri, {
      // Fail a request after 5 s without a server (then 503), unless the URI says otherwise.
      ...(/[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 5000 }),
      writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' },
      appName: 'latchkey',
    });
    try {
      await client.connect();
      await client.db(database).command({ ping: 1 });
    } catch (err) {
      await client.close().catch(() => undefined);
      const reason = err instanceof Error ? err.message.replace(uri, hosts) : String(err);
      throw new Error(`cannot reach MongoDB at ${hosts} (database "${database}"): ${reason}`);
    }
    const store = new MongoStore(client, client.db(database), `MongoDB store at ${hosts}, database "${database}"`);
    await store.#createIndexes();
    return store;
  }

  async #createIndexes(): Promise<void> {
    await this.#users().createIndex({ email: 1 }, { unique: true, name: 'email' });
    await this.#users().createIndex({ accountId: 1 }, { name: 'accountId' });
    await this.#clients().createIndex({ accountId: 1, createdAt: 1 }, { name: 'accountId' });
    await this.#clients().createIndex({ secretHash: 1 }, { unique: true, name: 'secretHash', partialFilterExpression: { secretHash: { $type: 'string' } } });
    await this.#apiKeys().createIndex({ hash: 1 }, { unique: true, name: 'hash' });
    await this.#apiKeys().createIndex({ accountId: 1, createdAt: 1 }, { name: 'accountId' });
    await this.#audit().createIndex({ accountId: 1, _id: -1 }, { name: 'accountId' });
    await this.#records().createIndex({ kind: 1, accountId: 1, environment: 1, recordId: 1 }, { unique: true, name: 'partition' });
  }

  /** Runs `work` in a transaction (needs a replica set; a one-node one is fine). */
  async #transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.#client.startSession();
    try {
      return await guard(() => session.withTransaction(() => work(session)));
    } finally {
      await session.endSession();
    }
  }

  #accounts() { return this.#db.collection<AccountDocument>('accounts'); }
  #users() { return this.#db.collection<UserDocument>('users'); }
  #clients() { return this.#db.collection<ClientDocument>('clients'); }
  #secrets() { return this.#db.collection<SecretDocument>('secrets'); }
  #apiKeys() { return this.#db.collection<ApiKeyDocument>('api_keys'); }
  #audit() { return this.#db.collection<AuditDocument>('audit_events'); }
  #records() { return this.#db.collection<RecordDocument>('records'); }

  async createAccount(account: Account, owner: User): Promise<void> {
    await uniquely('email', () => this.#transaction(async (session) => {
      await this.#accounts().insertOne({ _id: account.id, name: account.name, createdAt: account.createdAt }, { session });
      await this.#users().insertOne(userDocument(owner), { session });
    }));
  }

  async findAccount(id: string) {
    const doc = await guard(() => this.#accounts().findOne({ _id: id }));
    return doc ? { id: doc._id, name: doc.name, createdAt: doc.createdAt } : undefined;
  }

  async createUser(user: User): Promise<void> {
    await uniquely('email', () => guard(() => this.#users().insertOne(userDocument(user))));
  }

  async findUser(id: string) {
    const doc = await guard(() => this.#users().findOne({ _id: id }));
    return doc ? toUser(doc) : undefined;
  }

  async findUserByEmail(email: string) {
    const doc = await guard(() => this.#users().findOne({ email: email.toLowerCase() }));
    return doc ? toUser(doc) : undefined;
  }

  async createClient(client: ClientRecord): Promise<void> {
    const { id, secretHash, jwks, ...rest } = client;
    const doc: ClientDocument = { ...rest, _id: id, scopes: [...client.scopes], redirectUris: [...client.redirectUris] };
    if (secretHash) doc.secretHash = secretHash;
    if (jwks) doc.jwks = jwks;
    await uniquely('client', () => guard(() => this.#clients().insertOne(doc)));
  }

  async findClient(id: string) {
    const doc = await guard(() => this.#clients().findOne({ _id: id }));
    return doc ? toClient(doc) : undefined;
  }

  async listClients(accountId: string) {
    return (await guard(() => this.#clients().find({ accountId }).sort({ createdAt: 1 }).toArray())).map(toClient);
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    try {
      await guard(() => this.#secrets().updateOne({ _id: name }, { $setOnInsert: { value: candidate } }, { upsert: true }));
    } catch (err) {
      // Two instances inserting at once: one wins, the other reads the winner's value below.
      if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
    }
    const doc = await guard(() => this.#secrets().findOne({ _id: name }));
    if (!doc) throw new Error(`secret "${name}" vanished right after it was written`);
    return doc.value;
  }

  async createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void> {
    await uniquely('api_key', () => this.#transaction(async (session) => {
      await this.#apiKeys().insertOne(apiKeyDocument(key), { session });
      await this.#audit().insertOne(auditDocument(event), { session });
    }));
  }

  async findApiKey(id: string) {
    const doc = await guard(() => this.#apiKeys().findOne({ _id: id }));
    return doc ? toApiKey(doc) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const doc = await guard(() => this.#apiKeys().findOne({ hash }));
    return doc ? toApiKey(doc) : undefined;
  }

  async listApiKeys(accountId: string) {
    return (await guard(() => this.#apiKeys().find({ accountId }).sort({ createdAt: 1, _id: 1 }).toArray())).map(toApiKey);
  }

  async rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean> {
    return this.#transaction(async (session) => {
      const old = await this.#apiKeys().findOne({ _id: oldId, revokedAt: null, replacedBy: null }, { session });
      if (!old) return false;
      const expiresAt = old.expiresAt && old.expiresAt < oldExpiresAt ? old.expiresAt : oldExpiresAt;
      const updated = await this.#apiKeys().updateOne(
        { _id: oldId, revokedAt: null, replacedBy: null },
        { $set: { expiresAt, replacedBy: replacement.id } },
        { session },
      );
      if (updated.modifiedCount !== 1) return false;
      await this.#apiKeys().insertOne(apiKeyDocument(replacement), { session });
      await this.#audit().insertOne(auditDocument(event), { session });
      return true;
    });
  }

  async revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean> {
    return this.#transaction(async (session) => {
      const updated = await this.#apiKeys().updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at, revokedReason: reason } }, { session });
      if (updated.modifiedCount !== 1) return false;
      await this.#audit().insertOne(auditDocument(event), { session });
      return true;
    });
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await guard(() => this.#apiKeys().updateOne(
      { _id: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] },
      { $set: { lastUsedAt: at } },
    ));
  }

  async listAuditEvents(accountId: string, limit: number) {
    const docs = await guard(() => this.#audit().find({ accountId }).sort({ _id: -1 }).limit(limit).toArray());
    return docs.map(({ _id, ...rest }) => ({ ...rest, id: _id, reason: rest.reason ?? undefined }));
  }

  async insertRecord(record: PartnerRecord): Promise<void> {
    const { id, ...rest } = record;
    await guard(() => this.#records().insertOne({ ...rest, _id: recordKey(record, id), recordId: id }));
  }

  async findRecord(p: PartitionKey, id: string) {
    const doc = await guard(() => this.#records().findOne({ _id: recordKey(p, id) }));
    return doc ? toRecord(doc) : undefined;
  }

  async updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date) {
    const doc = await guard(() => this.#records().findOneAndUpdate(
      { _id: recordKey(p, id) }, { $set: { data, updatedAt: at } }, { returnDocument: 'after' },
    ));
    return doc ? toRecord(doc) : undefined;
  }

  async deleteRecord(p: PartitionKey, id: string): Promise<boolean> {
    return (await guard(() => this.#records().deleteOne({ _id: recordKey(p, id) }))).deletedCount === 1;
  }

  async listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) {
    const docs = await guard(() => this.#records()
      .find({ kind: p.kind, accountId: p.accountId, environment: p.environment, recordId: { $gt: page.after ?? '' } })
      .sort({ recordId: 1 }).limit(page.limit).toArray());
    return docs.map(toRecord);
  }

  sweepExpired(): Promise<number> {
    return this.oidc.sweep();
  }

  async ping(): Promise<void> {
    await guard(() => this.#db.command({ ping: 1 }));
  }

  /** For tests: removes the whole database. */
  async dropDatabase(): Promise<void> {
    await this.#db.dropDatabase();
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/** One document id per record across partitions: an id can never reach another account's data. */
function recordKey(p: PartitionKey, id: string): string {
  return `${p.kind}/${p.accountId}/${p.environment}/${id}`;
}

function toRecord(doc: RecordDocument): PartnerRecord {
  return {
    id: doc.recordId, kind: doc.kind, accountId: doc.accountId, environment: doc.environment,
    data: doc.data, createdAt: doc.createdAt, updatedAt: doc.updatedAt,
  };
}

function apiKeyDocument(key: ApiKeyRecord): ApiKeyDocument {
  const { id, ...rest } = key;
  return {
    ...rest, _id: id, scopes: [...key.scopes],
    expiresAt: key.expiresAt ?? null, revokedAt: key.revokedAt ?? null, revokedReason: key.revokedReason ?? null,
    replacedBy: key.replacedBy ?? null, replaces: key.replaces ?? null, lastUsedAt: key.lastUsedAt ?? null,
  };
}

function toApiKey(doc: ApiKeyDocument): ApiKeyRecord {
  const { _id, ...rest } = doc;
  const orUndefined = <T>(v: T | null | undefined) => v ?? undefined;
  return {
    ...rest, id: _id,
    expiresAt: orUndefined(rest.expiresAt), revokedAt: orUndefined(rest.revokedAt), revokedReason: orUndefined(rest.revokedReason),
    replacedBy: orUndefined(rest.replacedBy), replaces: orUndefined(rest.replaces), lastUsedAt: orUndefined(rest.lastUsedAt),
  };
}

function auditDocument(event: AuditEvent): AuditDocument {
  const { id, ...rest } = event;
  return { ...rest, _id: id, reason: event.reason ?? null };
}

function userDocument(user: User): UserDocument {
  return { _id: user.id, accountId: user.accountId, email: user.email.toLowerCase(), passwordHash: user.passwordHash, createdAt: user.createdAt };
}

function toUser(doc: UserDocument): User {
  return { id: doc._id, accountId: doc.accountId, email: doc.email, passwordHash: doc.passwordHash, createdAt: doc.createdAt };
}
