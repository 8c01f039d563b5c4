// The embedded store's schema, version by version: migrations.ts applies those a data file lacks,
// in order, at boot. Never edit a migration that has shipped; add the next one.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // The schema as it was before versions were recorded (commit d17966f). IF NOT EXISTS because a
    // data directory from then already has these tables: for it, this migration only records 1.
    name: 'baseline',
    sql: `
      CREATE TABLE IF NOT EXISTS oidc (
        model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, uid TEXT, user_code TEXT,
        account_id TEXT, client_id TEXT, consumed_at INTEGER, expires_at INTEGER,
        PRIMARY KEY (model, id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS oidc_grant_id ON oidc (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_account_client ON oidc (model, account_id, client_id) WHERE account_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_expires_at ON oidc (expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id), email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL, created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS clients (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id), name TEXT NOT NULL, type TEXT NOT NULL,
        environment TEXT NOT NULL, scopes TEXT NOT NULL, redirect_uris TEXT NOT NULL, auth_method TEXT NOT NULL,
        secret_hash TEXT UNIQUE, jwks TEXT, created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS clients_account ON clients (account_id);
      CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id), environment TEXT NOT NULL,
        name TEXT NOT NULL, scopes TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, last4 TEXT NOT NULL,
        created_by TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER,
        revoked_reason TEXT, replaced_by TEXT, replaces TEXT, last_used_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys (account_id, created_at);
      CREATE TABLE IF NOT EXISTS audit_events (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target_id TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS audit_events_account ON audit_events (account_id, id);
      CREATE TABLE IF NOT EXISTS records (
        kind TEXT NOT NULL, account_id TEXT NOT NULL, environment TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (kind, account_id, environment, id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    // Why a refresh token stopped working, kept apart from the records a grant revocation deletes;
    // and the grants whose own lifetime ended, found by the sweep without reading every grant.
    name: 'refresh-token tombstones',
    sql: `
      CREATE TABLE refresh_tombstones (
        id TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at INTEGER NOT NULL, grant_id TEXT NOT NULL,
        account_id TEXT, client_id TEXT, expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX refresh_tombstones_expires_at ON refresh_tombstones (expires_at);
      CREATE INDEX oidc_grant_exp ON oidc (json_extract(payload, '$.exp')) WHERE model = 'Grant';
    `,
  },
  {
    version: 3,
    // Failure counts of the rate limits, shared by every instance on the file.
    name: 'rate-limit counters',
    sql: `
      CREATE TABLE counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, reset_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX counters_reset_at ON counters (reset_at);
    `,
  },
  {
    version: 4,
    // API keys made with a user-delegated token die with its grant; a key's history is read by target.
    name: 'api keys bound to grants, audit events by target',
    sql: `
      ALTER TABLE api_keys ADD COLUMN grant_id TEXT;
      CREATE INDEX api_keys_grant ON api_keys (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX api_keys_account_id ON api_keys (account_id, id);
      CREATE INDEX audit_events_target ON audit_events (account_id, target_id, id);
    `,
  },
  {
    version: 5,
    // Self-serve clients: every live secret with its own expiry (JSON, newest first), homepage, logo
    // (its bytes in a table of their own, so the row read on every token request stays small), who
    // registered it, and a revision for conditional edits; display facts on audit events. A client
    // from before gets its one secret as an entry (id `cs_<client id>`, last4 '' as the secret is
    // unknown; see adapters/client-lifecycle.ts), created_by 'cli' (the only way to make one then),
    // updated_at = created_at, revision 1.
    name: 'self-serve clients: secrets, homepage, logos, revisions; audit detail',
    sql: `
      ALTER TABLE clients ADD COLUMN secrets TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE clients ADD COLUMN homepage_url TEXT;
      ALTER TABLE clients ADD COLUMN logo_digest TEXT;
      ALTER TABLE clients ADD COLUMN created_by TEXT NOT NULL DEFAULT 'cli';
      ALTER TABLE clients ADD COLUMN updated_at INTEGER;
      ALTER TABLE clients ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      UPDATE clients SET updated_at = created_at;
      UPDATE clients SET secrets = json_array(json_object(
        'id', 'cs_' || id, 'hash', secret_hash, 'last4', '', 'createdAt', created_at,
        'expiresAt', NULL, 'revokedAt', NULL, 'revokedReason', NULL
      )) WHERE secret_hash IS NOT NULL;
      CREATE TABLE client_logos (
        client_id TEXT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE, content_type TEXT NOT NULL, bytes BLOB NOT NULL
      ) WITHOUT ROWID;
      ALTER TABLE audit_events ADD COLUMN detail TEXT;
      CREATE INDEX oidc_grant_client ON oidc (client_id) WHERE model = 'Grant';
      CREATE INDEX api_keys_created_by ON api_keys (created_by) WHERE revoked_at IS NULL;
    `,
  },
  {
    version: 6,
    // Resource-server clients: the resource (absolute URL) whose credentials they may introspect.
    // Clients from before are service or web clients and have none.
    name: 'resource-server clients',
    sql: `
      ALTER TABLE clients ADD COLUMN resource TEXT;
    `,
  },
  {
    version: 7,
    // Issue 14: the webhook outbox (events recorded with their cause, fanned out into one delivery per
    // webhook, claimed with a lease), leak reports, and client secrets found by hash (every entry of
    // a client's secrets JSON, revoked ones too, kept in step by the client writes).
    name: 'webhook outbox and deliveries, leak reports, client secrets by hash',
    sql: `
      CREATE TABLE outbox_events (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, environment TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
        created_at INTEGER NOT NULL, fanned_out_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX outbox_events_pending ON outbox_events (id) WHERE fanned_out_at IS NULL;
      CREATE INDEX outbox_events_fanned_out ON outbox_events (fanned_out_at) WHERE fanned_out_at IS NOT NULL;
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL, account_id TEXT NOT NULL,
        environment TEXT NOT NULL, event_type TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER, last_attempt_at INTEGER,
        last_status_code INTEGER, last_error TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER,
        UNIQUE (event_id, webhook_id)
      ) WITHOUT ROWID;
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (account_id, webhook_id, id);
      CREATE INDEX webhook_deliveries_done ON webhook_deliveries (last_attempt_at) WHERE status != 'pending';
      CREATE TABLE leak_reports (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, received_at INTEGER NOT NULL, reported INTEGER NOT NULL,
        matched INTEGER NOT NULL, origin TEXT
      ) WITHOUT ROWID;
      CREATE TABLE client_secret_hashes (
        hash TEXT PRIMARY KEY, client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX client_secret_hashes_client ON client_secret_hashes (client_id);
      INSERT OR IGNORE INTO client_secret_hashes (hash, client_id)
        SELECT json_extract(s.value, '$.hash'), c.id FROM clients c, json_each(c.secrets) s
        WHERE json_extract(s.value, '$.hash') IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'lineage: find what a credential created',
    sql: `
      CREATE INDEX IF NOT EXISTS clients_created_by ON clients (created_by);
      CREATE INDEX IF NOT EXISTS records_webhook_creator ON records (json_extract(data, '$.created_by')) WHERE kind = 'webhook';
    `,
  },
  {
    version: 9,
    name: 'accounts: verified addresses, two-factor, single-use links, the mail outbox; post-logout redirect URIs',
    // Users who exist before this version count as verified (they signed up before addresses were
    // checked, or the operator made them). Links keep only the HMAC of their token; mails keep their
    // body sealed (it can carry a link).
    sql: `
      ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
      ALTER TABLE users ADD COLUMN totp TEXT;
      ALTER TABLE users ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '[]';
      UPDATE users SET email_verified_at = created_at;
      CREATE TABLE user_tokens (
        hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE, purpose TEXT NOT NULL,
        email TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);
      CREATE INDEX user_tokens_expiry ON user_tokens (expires_at);
      CREATE TABLE mail_outbox (
        id TEXT PRIMARY KEY, recipient TEXT NOT NULL, template TEXT NOT NULL, sealed TEXT NOT NULL, created_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT, lease_until INTEGER, last_error TEXT, finished_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
      CREATE INDEX mail_outbox_finished ON mail_outbox (finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 10,
    name: 'teams: member roles, account policies, invitations',
    // Every user before this version made their account alone: each is its owner.
    sql: `
      ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
      ALTER TABLE accounts ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE accounts ADD COLUMN live_admins_only INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, email TEXT NOT NULL,
        role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, invited_by TEXT NOT NULL, created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, accepted_at INTEGER, revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX invitations_account ON invitations (account_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
    `,
  },
  {
    version: 11,
    name: 'webhook deliveries: the last request sent and the start of the answer',
    sql: `
      ALTER TABLE webhook_deliveries ADD COLUMN last_request TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN last_response TEXT;
    `,
  },
  {
    version: 12,
    name: 'webhooks: a table of their own, apart from the Partner API records',
    // The same columns as records, so each webhook moves whole (its sealed secret, its health notes);
    // deliveries name webhooks by id, which stays: the delivery history stays with them.
    sql: `
      CREATE TABLE webhooks (
        kind TEXT NOT NULL, account_id TEXT NOT NULL, environment TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (kind, account_id, environment, id)
      ) WITHOUT ROWID;
      CREATE INDEX webhooks_creator ON webhooks (json_extract(data, '$.created_by'));
      INSERT INTO webhooks SELECT kind, account_id, environment, id, data, created_at, updated_at FROM records WHERE kind = 'webhook';
      DELETE FROM records WHERE kind = 'webhook';
      DROP INDEX IF EXISTS records_webhook_creator;
    `,
  },
  {
    version: 13,
    // WITHOUT ROWID suits rows much smaller than a page (SQLite's advice: under a twentieth of one).
    // These records are a kilobyte or more (a refresh token, a kept refresh answer) under random
    // ids, so each insert landed in a random full page of the table and often split it. With row
    // ids a new record is appended, and only its small (model, id) index entry lands at random:
    // a refresh rotation's statements and commit took half the time (docs/performance.md).
    name: 'OAuth records in a table with row ids',
    sql: `
      CREATE TABLE oidc_rows (
        model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, uid TEXT, user_code TEXT,
        account_id TEXT, client_id TEXT, consumed_at INTEGER, expires_at INTEGER,
        PRIMARY KEY (model, id)
      );
      INSERT INTO oidc_rows (model, id, payload, grant_id, uid, user_code, account_id, client_id, consumed_at, expires_at)
        SELECT model, id, payload, grant_id, uid, user_code, account_id, client_id, consumed_at, expires_at FROM oidc;
      DROP TABLE oidc;
      ALTER TABLE oidc_rows RENAME TO oidc;
      CREATE INDEX oidc_grant_id ON oidc (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_account_client ON oidc (model, account_id, client_id) WHERE account_id IS NOT NULL;
      CREATE INDEX oidc_expires_at ON oidc (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX oidc_grant_exp ON oidc (json_extract(payload, '$.exp')) WHERE model = 'Grant';
      CREATE INDEX oidc_grant_client ON oidc (client_id) WHERE model = 'Grant';
    `,
  },
];
