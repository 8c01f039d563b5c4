// API keys and the audit trail their lifecycle (and every grant's death) writes to.
import type { ApiKeyRecord, ApiKeyStore, AuditEvent, AuditFilter, KeyPage } from '../contract.ts';
import { date, text, uniquely, type Database, type Row } from './database.ts';
import { insertAuditEvent } from './audit.ts';
import { assertCreatorLive, endCreations } from './lineage.ts';
import { markCredentialsChanged } from './credentials.ts';
import { apiKeyWebhookEvents, targetWebhookEvents } from './outbox.ts';

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
    grantId: text(row.grant_id),
  };
}

function toAuditEvent(row: Row): AuditEvent {
  const event: AuditEvent = {
    id: String(row.id), accountId: String(row.account_id), actor: String(row.actor), action: String(row.action),
    targetId: String(row.target_id), reason: text(row.reason), at: new Date(Number(row.at)),
  };
  // `detail` is optional: absent (not a key set to undefined) when the event has none.
  return row.detail === null || row.detail === undefined ? event : { ...event, detail: JSON.parse(String(row.detail)) as Record<string, string> };
}

export class SqliteApiKeys implements ApiKeyStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  #insertApiKey(key: ApiKeyRecord): void {
    this.#db.sql(`
      INSERT INTO api_keys (id, account_id, environment, name, scopes, hash, prefix, last4, created_by, created_at,
        expires_at, revoked_at, revoked_reason, replaced_by, replaces, last_used_at, grant_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    `).run(
      key.id, key.accountId, key.environment, key.name, JSON.stringify(key.scopes), key.hash, key.prefix, key.last4,
      key.createdBy, key.createdAt.getTime(), key.expiresAt?.getTime() ?? null, key.revokedAt?.getTime() ?? null,
      key.revokedReason ?? null, key.replacedBy ?? null, key.replaces ?? null, key.lastUsedAt?.getTime() ?? null,
      key.grantId ?? null,
    );
  }

  async createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void> {
    uniquely('api_key', () => this.#db.transaction(() => {
      assertCreatorLive(this.#db, key.createdBy, key.grantId, new Date());
      this.#insertApiKey(key);
      insertAuditEvent(this.#db, event);
      apiKeyWebhookEvents(this.#db, event);
    }));
  }

  async findApiKey(id: string) {
    const row = this.#db.sql('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const row = this.#db.sql('SELECT * FROM api_keys WHERE hash = ?').get(hash) as Row | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async rehashApiKey(id: string, from: string, to: string) {
    return Number(this.#db.sql('UPDATE api_keys SET hash = ? WHERE id = ? AND hash = ?').run(to, id, from).changes) === 1;
  }

  async countApiKeyHashesByPepper() {
    const rows = this.#db.sql(`SELECT CASE WHEN instr(hash, ':') > 0 THEN substr(hash, 1, instr(hash, ':') - 1) ELSE '1' END AS pepper,
      count(*) AS n FROM api_keys WHERE revoked_at IS NULL GROUP BY pepper`).all() as Row[];
    return Object.fromEntries(rows.map((row) => [String(row.pepper), Number(row.n)]));
  }

  // A negative LIMIT means "no limit" to SQLite: Math.max(0, …) so that a limit <= 0 returns none
  // on both stores; -1 is "all", when no page is given.
  async listApiKeys(accountId: string, page?: KeyPage) {
    const environment = page?.environment ?? null;
    return (this.#db.sql('SELECT * FROM api_keys WHERE account_id = ? AND id > ? AND (? IS NULL OR environment = ?) ORDER BY id LIMIT ?')
      .all(accountId, page?.after ?? '', environment, environment, page ? Math.max(0, page.limit) : -1) as Row[]).map(toApiKey);
  }

  async countLiveApiKeys(accountId: string, now: Date) {
    const row = this.#db.sql(`
      SELECT COUNT(*) AS n FROM api_keys WHERE account_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
    `).get(accountId, now.getTime()) as Row;
    return Number(row.n);
  }

  async rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean> {
    return this.#db.transaction(() => {
      // The roller is checked before the roll: a key rolling itself with no overlap ends with it.
      assertCreatorLive(this.#db, replacement.createdBy, replacement.grantId, new Date());
      const changed = this.#db.sql(`
        UPDATE api_keys SET expires_at = MIN(COALESCE(expires_at, ?), ?), replaced_by = ?
        WHERE id = ? AND revoked_at IS NULL AND replaced_by IS NULL
      `).run(oldExpiresAt.getTime(), oldExpiresAt.getTime(), replacement.id, oldId).changes;
      if (this.#exists(oldId)) markCredentialsChanged(this.#db);
      if (changed !== 1) return false;
      this.#insertApiKey(replacement);
      insertAuditEvent(this.#db, event);
      apiKeyWebhookEvents(this.#db, event);
      return true;
    });
  }

  async revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean> {
    return this.#db.transaction(() => {
      const changed = this.#db.sql('UPDATE api_keys SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL')
        .run(at.getTime(), reason, id).changes;
      // Also when it was revoked already: the retry of a revocation moves the generation too.
      if (this.#exists(id)) markCredentialsChanged(this.#db);
      if (changed !== 1) return false;
      insertAuditEvent(this.#db, event);
      apiKeyWebhookEvents(this.#db, event);
      // What the key created dies with it, in this transaction (adapters/cascades.ts).
      endCreations(this.#db, { kind: 'api_key', id }, event.actor, at);
      return true;
    });
  }

  #exists(id: string): boolean {
    return this.#db.sql('SELECT 1 FROM api_keys WHERE id = ?').get(id) !== undefined;
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    this.#db.sql('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)')
      .run(at.getTime(), id, at.getTime());
  }

  async listTargetEvents(accountId: string, targetId: string, page: { limit: number; before?: string | undefined }) {
    return (this.#db.sql(`
      SELECT * FROM audit_events WHERE account_id = ? AND target_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?
    `).all(accountId, targetId, page.before ?? null, page.before ?? null, Math.max(0, page.limit)) as Row[]).map(toAuditEvent);
  }

  // Two statements rather than `(? IS NULL OR id < ?)`: each then seeks straight to its page in
  // the (account_id, id) index instead of walking down from the newest event.
  async listAuditEvents(accountId: string, limit: number, before?: string, filter: AuditFilter = {}) {
    const where = ['account_id = ?'];
    const values: (string | number)[] = [accountId];
    if (before !== undefined) { where.push('id < ?'); values.push(before); }
    if (filter.actions && filter.actions.length > 0) {
      where.push(`action IN (${filter.actions.map(() => '?').join(', ')})`);
      values.push(...filter.actions);
    }
    if (filter.actor !== undefined) { where.push('actor = ?'); values.push(filter.actor); }
    if (filter.since) { where.push('at >= ?'); values.push(filter.since.getTime()); }
    if (filter.until) { where.push('at < ?'); values.push(filter.until.getTime()); }
    const rows = this.#db.sql(`SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...values, Math.max(0, limit));
    return (rows as Row[]).map(toAuditEvent);
  }

  async recordAuditEvent(event: AuditEvent): Promise<void> {
    this.#db.transaction(() => {
      insertAuditEvent(this.#db, event);
      targetWebhookEvents(this.#db, event);
    });
  }
}
