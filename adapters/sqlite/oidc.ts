// oidc-provider's models (and our own short-lived records: sign-in throttle, portal sessions) in
// one table, keyed by model and id, with the fields oidc-provider looks records up by.
import type { GrantRevocation, OidcModelStore, OidcPayload, RefreshTombstone } from '../contract.ts';
import type { Database, Row } from './database.ts';
import { SqliteGrants } from './grants.ts';

export const notExpired = '(expires_at IS NULL OR expires_at > ?)';

function parsePayload(row: Row | undefined): OidcPayload | undefined {
  return row ? (JSON.parse(String(row.payload)) as OidcPayload) : undefined;
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

export class SqliteOidcStore implements OidcModelStore {
  readonly #db: Database;
  readonly #grants: SqliteGrants;

  constructor(db: Database) {
    this.#db = db;
    this.#grants = new SqliteGrants(db);
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
    this.#db.sql(`
      INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, account_id, client_id, consumed_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
        client_id = excluded.client_id, consumed_at = excluded.consumed_at, expires_at = excluded.expires_at
    `).run(
      model, id, JSON.stringify(payload), str(payload.grantId), str(payload.uid), str(payload.userCode),
      // Milliseconds, as consume() writes it (and as MongoDB's consumedAt holds it).
      str(payload.accountId), str(payload.clientId), typeof payload.consumed === 'number' ? payload.consumed * 1000 : null,
      expiresAt,
    );
  }

  async find(model: string, id: string) {
    return parsePayload(this.#db.sql(`SELECT payload FROM oidc WHERE model = ? AND id = ? AND ${notExpired}`)
      .get(model, id, Date.now()) as Row | undefined);
  }

  async findByUid(model: string, uid: string) {
    return parsePayload(this.#db.sql(`SELECT payload FROM oidc WHERE model = ? AND uid = ? AND ${notExpired}`)
      .get(model, uid, Date.now()) as Row | undefined);
  }

  async findByUserCode(model: string, userCode: string) {
    return parsePayload(this.#db.sql(`SELECT payload FROM oidc WHERE model = ? AND user_code = ? AND ${notExpired}`)
      .get(model, userCode, Date.now()) as Row | undefined);
  }

  async consume(model: string, id: string): Promise<boolean> {
    const now = Date.now();
    const result = this.#db.sql(`
      UPDATE oidc SET consumed_at = ?, payload = json_set(payload, '$.consumed', ?)
      WHERE model = ? AND id = ? AND consumed_at IS NULL AND ${notExpired}
    `).run(now, Math.floor(now / 1000), model, id, now);
    return result.changes === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    this.#db.sql('DELETE FROM oidc WHERE model = ? AND id = ?').run(model, id);
  }

  async list(model: string, page: { limit: number; after?: string | undefined }) {
    return (this.#db.sql(`SELECT id, payload FROM oidc WHERE model = ? AND id > ? AND ${notExpired} ORDER BY id LIMIT ?`)
      .all(model, page.after ?? '', Date.now(), Math.max(0, page.limit)) as Row[])
      .map((row) => ({ id: String(row.id), payload: parsePayload(row)! }));
  }

  async revokeByGrantId(grantId: string, revocation: GrantRevocation): Promise<boolean> {
    return this.#grants.revoke(grantId, revocation);
  }

  async findTombstone(id: string): Promise<RefreshTombstone | undefined> {
    return this.#grants.findTombstone(id);
  }

  async listGrants(accountId: string): Promise<OidcPayload[]> {
    return (this.#db.sql(`
      SELECT payload FROM oidc WHERE model = 'Grant' AND account_id = ? AND ${notExpired} ORDER BY expires_at DESC LIMIT 200
    `).all(accountId, Date.now()) as Row[]).map((row) => parsePayload(row)!);
  }

  // Expired or consumed, a refresh token's iat is still when the grant was last used. `+model`: look
  // the tokens up by grant id (oidc_grant_id), not by walking every RefreshToken of the primary key.
  async grantsLastUsed(grantIds: readonly string[]): Promise<Map<string, Date>> {
    const rows = this.#db.sql(`
      SELECT grant_id, MAX(json_extract(payload, '$.iat')) AS iat FROM oidc
      WHERE +model = 'RefreshToken' AND grant_id IN (SELECT value FROM json_each(?)) GROUP BY grant_id
    `).all(JSON.stringify(grantIds)) as Row[];
    return new Map(rows.filter((row) => typeof row.iat === 'number').map((row) => [String(row.grant_id), new Date(Number(row.iat) * 1000)]));
  }

  async findGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const row = this.#db.sql(`
      SELECT id FROM oidc WHERE model = 'Grant' AND account_id = ? AND client_id = ? AND ${notExpired}
      ORDER BY expires_at DESC LIMIT 1
    `).get(accountId, clientId, Date.now()) as Row | undefined;
    return row ? String(row.id) : undefined;
  }

  /** Revokes grants whose lifetime ended, then deletes expired records and tombstones. */
  async sweep(): Promise<number> {
    const now = Date.now();
    const revoked = this.#grants.revokeExpired(new Date(now));
    const records = this.#db.sql('DELETE FROM oidc WHERE expires_at <= ?').run(now).changes;
    const tombstones = this.#db.sql('DELETE FROM refresh_tombstones WHERE expires_at <= ?').run(now).changes;
    return revoked + Number(records) + Number(tombstones);
  }
}
