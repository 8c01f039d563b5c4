// The embedded store: one node:sqlite file in DATA_DIR, WAL mode, nothing to install.
// node:sqlite is synchronous, so every statement is atomic within this process; across processes
// that share the file, SQLite's own locking makes the conditional updates atomic too.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  DuplicateError,
  type Account,
  type ApiKeyRecord,
  type AuditEvent,
  type PartitionKey,
  type PartnerRecord,
  type ClientRecord,
  type OidcModelStore,
  type OidcPayload,
  type Store,
  type User,
} from '../contract.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  uid TEXT,
  user_code TEXT,
  account_id TEXT,
  client_id TEXT,
  consumed_at INTEGER,
  expires_at INTEGER,
  PRIMARY KEY (model, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oidc_grant_id ON oidc (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_account_client ON oidc (model, account_id, client_id) WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_expires_at ON oidc (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS clients (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  environment TEXT NOT NULL,
  scopes TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  auth_method TEXT NOT NULL,
  secret_hash TEXT UNIQUE,
  jwks TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clients_account ON clients (account_id);

CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  environment TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  last4 TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  revoked_reason TEXT,
  replaced_by TEXT,
  replaces TEXT,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE IF NOT EXISTS audit_events (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target_id TEXT NOT NULL,
  reason TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_account ON audit_events (account_id, id);

CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL,
  account_id TEXT NOT NULL,
  environment TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, account_id, environment, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

const BUSY_TIMEOUT_MS = 5000;

/** Runs `work`, retrying while SQLite reports the database locked, for up to BUSY_TIMEOUT_MS. */
function whileLocked(work: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      work();
      return;
    } catch (err) {
      if (!(err instanceof Error && /database is locked|SQLITE_BUSY/i.test(err.message)) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause); // boot only: a short synchronous pause
    }
  }
}

// Our tables hold only TEXT and INTEGER columns.
type Row = Record<string, string | number | null>;

const notExpired = '(expires_at IS NULL OR expires_at > ?)';

function parsePayload(row: Row | undefined): OidcPayload | undefined {
  return row ? (JSON.parse(String(row.payload)) as OidcPayload) : undefined;
}

/** Runs an insert; a UNIQUE violation becomes DuplicateError naming the field. */
function uniquely<T>(field: string, operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) throw new DuplicateError(field);
    throw err;
  }
}

/** Prepared statements, compiled once per SQL text: preparing costs more than most queries. */
class StatementCache {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

class SqliteOidcStore implements OidcModelStore {
  readonly #statements: StatementCache;
  constructor(statements: StatementCache) {
    this.#statements = statements;
  }

  #sql(sql: string): StatementSync {
    return this.#statements.get(sql);
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    this.#sql(`
      INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, account_id, client_id, consumed_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
        client_id = excluded.client_id, consumed_at = excluded.consumed_at, expires_at = excluded.expires_at
    `).run(
      model, id, JSON.stringify(payload), str(payload.grantId), str(payload.uid), str(payload.userCode),
      str(payload.accountId), str(payload.clientId), typeof payload.consumed === 'number' ? payload.consumed : null,
      expiresAt,
    );
  }

  async find(model: string, id: string) {
    return parsePayload(this.#sql(`SELECT payload FROM oidc WHERE model = ? AND id = ? AND ${notExpired}`)
      .get(model, id, Date.now()) as Row | undefined);
  }

  async findByUid(model: string, uid: string) {
    return parsePayload(this.#sql(`SELECT payload FROM oidc WHERE model = ? AND uid = ? AND ${notExpired}`)
      .get(model, uid, Date.now()) as Row | undefined);
  }

  async findByUserCode(model: string, userCode: string) {
    return parsePayload(this.#sql(`SELECT payload FROM oidc WHERE model = ? AND user_code = ? AND ${notExpired}`)
      .get(model, userCode, Date.now()) as Row | undefined);
  }

  async consume(model: string, id: string): Promise<boolean> {
    const now = Date.now();
    const result = this.#sql(`
      UPDATE oidc SET consumed_at = ?, payload = json_set(payload, '$.consumed', ?)
      WHERE model = ? AND id = ? AND consumed_at IS NULL AND ${notExpired}
    `).run(now, Math.floor(now / 1000), model, id, now);
    return result.changes === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    this.#sql('DELETE FROM oidc WHERE model = ? AND id = ?').run(model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#sql("DELETE FROM oidc WHERE (model = 'Grant' AND id = ?) OR grant_id = ?").run(grantId, grantId);
  }

  async findGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const row = this.#sql(`
      SELECT id FROM oidc WHERE model = 'Grant' AND account_id = ? AND client_id = ? AND ${notExpired}
      ORDER BY expires_at DESC LIMIT 1
    `).get(accountId, clientId, Date.now()) as Row | undefined;
    return row ? String(row.id) : undefined;
  }
}

function toAccount(row: Row): Account {
  return { id: String(row.id), name: String(row.name), createdAt: new Date(Number(row.created_at)) };
}

function toUser(row: Row): User {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    createdAt: new Date(Number(row.created_at)),
  };
}

const date = (value: string | number | null | undefined) => (value === null || value === undefined ? undefined : new Date(Number(value)));
const text = (value: string | number | null | undefined) => (value === null || value === undefined ? undefined : String(value));

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    environment: String(row.environment) as ApiKeyRecord['environment'],
    name: String(row.name),
    scopes: JSON.parse(String(row.scopes)) as string[],
    hash: String(row.hash),
    prefix: String(row.prefix),
    last4: String(row.last4),
    createdBy: String(row.created_by),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    revokedReason: text(row.revoked_reason),
    replacedBy: text(row.replaced_by),
    replaces: text(row.replaces),
    lastUsedAt: date(row.last_used_at),
  };
}

function toAuditEvent(row: Row): AuditEvent {
  return {
    id: String(row.id), accountId: String(row.account_id), actor: String(row.actor), action: String(row.action),
    targetId: String(row.target_id), reason: text(row.reason), at: new Date(Number(row.at)),
  };
}

function toRecord(row: Row): PartnerRecord {
  return {
    id: String(row.id), kind: String(row.kind) as PartnerRecord['kind'], accountId: String(row.account_id),
    environment: String(row.environment) as PartnerRecord['environment'], data: JSON.parse(String(row.data)) as Record<string, unknown>,
    createdAt: new Date(Number(row.created_at)), updatedAt: new Date(Number(row.updated_at)),
  };
}

function toClient(row: Row): ClientRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    type: String(row.type) as ClientRecord['type'],
    environment: String(row.environment) as ClientRecord['environment'],
    scopes: JSON.parse(String(row.scopes)) as string[],
    redirectUris: JSON.parse(String(row.redirect_uris)) as string[],
    authMethod: String(row.auth_method) as ClientRecord['authMethod'],
    secretHash: row.secret_hash === null ? undefined : String(row.secret_hash),
    jwks: row.jwks === null ? undefined : (JSON.parse(String(row.jwks)) as ClientRecord['jwks']),
    createdAt: new Date(Number(row.created_at)),
  };
}

export class SqliteStore implements Store {
  readonly kind = 'embedded';
  readonly description: string;
  readonly oidc: OidcModelStore;
  readonly #db: DatabaseSync;
  readonly #statements: StatementCache;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'latchkey.sqlite');
    this.description = `embedded store (node:sqlite) at ${file}`;
    // Several processes may share the file (a second instance, the CLI): wait for locks, do not fail.
    this.#db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    this.#db.exec('PRAGMA foreign_keys = ON;');
    whileLocked(() => {
      // Switching to WAL and creating the schema can meet another process doing the same at first
      // boot; SQLite then answers "locked" at once rather than waiting, so retry for a while.
      this.#db.exec('PRAGMA journal_mode = WAL;');
      this.#transaction(() => this.#db.exec(SCHEMA));
    });
    this.#statements = new StatementCache(this.#db);
    this.oidc = new SqliteOidcStore(this.#statements);
  }

  #sql(sql: string): StatementSync {
    return this.#statements.get(sql);
  }

  async createAccount(account: Account, owner: User): Promise<void> {
    this.#transaction(() => {
      this.#sql('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)')
        .run(account.id, account.name, account.createdAt.getTime());
      this.#insertUser(owner);
    });
  }

  async findAccount(id: string) {
    const row = this.#sql('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return row ? toAccount(row) : undefined;
  }

  async createUser(user: User): Promise<void> {
    this.#insertUser(user);
  }

  #insertUser(user: User): void {
    uniquely('email', () => this.#sql('INSERT INTO users (id, account_id, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(user.id, user.accountId, user.email.toLowerCase(), user.passwordHash, user.createdAt.getTime()));
  }

  async findUser(id: string) {
    const row = this.#sql('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  async findUserByEmail(email: string) {
    const row = this.#sql('SELECT * FROM users WHERE email = ?').get(email.toLowerCase()) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  async createClient(client: ClientRecord): Promise<void> {
    uniquely('client', () => this.#sql(`
      INSERT INTO clients (id, account_id, name, type, environment, scopes, redirect_uris, auth_method,
        secret_hash, jwks, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    `).run(
      client.id, client.accountId, client.name, client.type, client.environment, JSON.stringify(client.scopes),
      JSON.stringify(client.redirectUris), client.authMethod, client.secretHash ?? null,
      client.jwks ? JSON.stringify(client.jwks) : null, client.createdAt.getTime(),
    ));
  }

  async findClient(id: string) {
    const row = this.#sql('SELECT * FROM clients WHERE id = ?').get(id) as Row | undefined;
    return row ? toClient(row) : undefined;
  }

  async listClients(accountId: string) {
    return (this.#sql('SELECT * FROM clients WHERE account_id = ? ORDER BY created_at').all(accountId) as Row[])
      .map(toClient);
  }

  /** Runs `work` in one write transaction: all of it or none. */
  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #insertApiKey(key: ApiKeyRecord): void {
    this.#sql(`
      INSERT INTO api_keys (id, account_id, environment, name, scopes, hash, prefix, last4, created_by, created_at,
        expires_at, revoked_at, revoked_reason, replaced_by, replaces, last_used_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    `).run(
      key.id, key.accountId, key.environment, key.name, JSON.stringify(key.scopes), key.hash, key.prefix, key.last4,
      key.createdBy, key.createdAt.getTime(), key.expiresAt?.getTime() ?? null, key.revokedAt?.getTime() ?? null,
      key.revokedReason ?? null, key.replacedBy ?? null, key.replaces ?? null, key.lastUsedAt?.getTime() ?? null,
    );
  }

  #insertAuditEvent(event: AuditEvent): void {
    this.#sql('INSERT INTO audit_events (id, account_id, actor, action, target_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(event.id, event.accountId, event.actor, event.action, event.targetId, event.reason ?? null, event.at.getTime());
  }

  async createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void> {
    uniquely('api_key', () => this.#transaction(() => {
      this.#insertApiKey(key);
      this.#insertAuditEvent(event);
    }));
  }

  async findApiKey(id: string) {
    const row = this.#sql('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const row = this.#sql('SELECT * FROM api_keys WHERE hash = ?').get(hash) as Row | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(accountId: string) {
    return (this.#sql('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id').all(accountId) as Row[]).map(toApiKey);
  }

  async rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean> {
    return this.#transaction(() => {
      const changed = this.#sql(`
        UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?), ?), replaced_by = ?
        WHERE id = ? AND revoked_at IS NULL AND replaced_by IS NULL
      `).run(oldExpiresAt.getTime(), oldExpiresAt.getTime(), replacement.id, oldId).changes;
      if (changed !== 1) return false;
      this.#insertApiKey(replacement);
      this.#insertAuditEvent(event);
      return true;
    });
  }

  async revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean> {
    return this.#transaction(() => {
      const changed = this.#sql('UPDATE api_keys SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL')
        .run(at.getTime(), reason, id).changes;
      if (changed !== 1) return false;
      this.#insertAuditEvent(event);
      return true;
    });
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    this.#sql('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
      .run(at.getTime(), id, at.getTime());
  }

  async listAuditEvents(accountId: string, limit: number) {
    return (this.#sql('SELECT * FROM audit_events WHERE account_id = ? ORDER BY id DESC LIMIT ?').all(accountId, limit) as Row[])
      .map(toAuditEvent);
  }

  async insertRecord(record: PartnerRecord): Promise<void> {
    this.#sql('INSERT INTO records (kind, account_id, environment, id, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.kind, record.accountId, record.environment, record.id, JSON.stringify(record.data),
        record.createdAt.getTime(), record.updatedAt.getTime());
  }

  async findRecord(p: PartitionKey, id: string) {
    const row = this.#sql('SELECT * FROM records WHERE kind = ? AND account_id = ? AND environment = ? AND id = ?')
      .get(p.kind, p.accountId, p.environment, id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date) {
    const changed = this.#sql('UPDATE records SET data = ?, updated_at = ? WHERE kind = ? AND account_id = ? AND environment = ? AND id = ?')
      .run(JSON.stringify(data), at.getTime(), p.kind, p.accountId, p.environment, id).changes;
    return changed === 1 ? this.findRecord(p, id) : undefined;
  }

  async deleteRecord(p: PartitionKey, id: string): Promise<boolean> {
    return this.#sql('DELETE FROM records WHERE kind = ? AND account_id = ? AND environment = ? AND id = ?')
      .run(p.kind, p.accountId, p.environment, id).changes === 1;
  }

  async listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) {
    return (this.#sql(`
      SELECT * FROM records WHERE kind = ? AND account_id = ? AND environment = ? AND id > ? ORDER BY id LIMIT ?
    `).all(p.kind, p.accountId, p.environment, page.after ?? '', page.limit) as Row[]).map(toRecord);
  }

  async getOrCreateSecret(name: string, candidate: string): Promise<string> {
    this.#sql('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, candidate);
    const row = this.#sql('SELECT value FROM secrets WHERE name = ?').get(name) as Row;
    return String(row.value);
  }

  async sweepExpired(): Promise<number> {
    return Number(this.#sql('DELETE FROM oidc WHERE expires_at <= ?').run(Date.now()).changes);
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
