// The one path by which a grant dies (reuse, lost race, RFC 7009, the user, client deletion, a leak
// report, expiry): everything bound to the grant goes, each refresh token leaves a tombstone that
// says why, and the audit trail records it, in one transaction. What dies and what is written is
// adapters/cascades.ts's to decide; this file reads the facts and carries the plan out.
import { isGrantRevocationReason } from '../../config/revocation.ts';
import { grantDeathPlan, keysOfGrant, type GrantParties } from '../cascades.ts';
import type { Environment, GrantRevocation, RefreshTombstone } from '../contract.ts';
import { revokeKeys, writePlan } from './cascades.ts';
import { markCredentialsChanged } from './credentials.ts';
import { text, type Database, type Row } from './database.ts';

/** A tombstone outlives a refresh token stored without expiry by this much (none is, today). */
const TOMBSTONE_FALLBACK_MS = 30 * 24 * 60 * 60 * 1000;
/** Grants revoked per sweep at most; the next sweep takes the rest. */
const EXPIRED_GRANTS_PER_SWEEP = 500;

export class SqliteGrants {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  revoke(grantId: string, revocation: GrantRevocation): boolean {
    return this.#revoke(grantId, revocation) > 0;
  }

  /** Revokes in one transaction; returns how many records went (the grant, its tokens, its keys). */
  #revoke(grantId: string, revocation: GrantRevocation): number {
    const at = revocation.at.getTime();
    return this.#db.transaction(() => {
      const owner = this.#db.sql(`
        SELECT account_id, client_id FROM oidc WHERE ((model = 'Grant' AND id = ?) OR grant_id = ?) AND client_id IS NOT NULL
        ORDER BY model = 'Grant' DESC LIMIT 1
      `).get(grantId, grantId) as Row | undefined;
      this.#db.sql(`
        INSERT INTO refresh_tombstones (id, reason, revoked_at, grant_id, account_id, client_id, expires_at)
        SELECT id, ?, ?, grant_id, account_id, client_id, COALESCE(expires_at, ?) FROM oidc
        WHERE model = 'RefreshToken' AND grant_id = ?
        ON CONFLICT (id) DO NOTHING
      `).run(revocation.reason, at, at + TOMBSTONE_FALLBACK_MS, grantId);
      const deleted = this.#db.sql("DELETE FROM oidc WHERE (model = 'Grant' AND id = ?) OR grant_id = ?").run(grantId, grantId).changes;
      const keys = revokeKeys(this.#db, keysOfGrant(grantId, revocation), revocation.at);
      // Only its bound keys are cached (a grant is not), so only they move the generation: an expired
      // grant swept without keys drops no cache anywhere; a repeat (keys already revoked) still moves it.
      const boundKeys = () => this.#db.sql('SELECT 1 FROM api_keys WHERE grant_id = ? LIMIT 1').get(grantId) !== undefined;
      if (keys.length > 0 || boundKeys()) markCredentialsChanged(this.#db);
      const removed = Number(deleted) + keys.length;
      if (removed === 0) return 0;
      writePlan(this.#db, grantDeathPlan(grantId, revocation, this.#parties(text(owner?.client_id), text(owner?.account_id)), keys));
      return removed;
    });
  }

  /** The grant's client (with its owner) and user (with the user's account), as far as they still exist. */
  #parties(clientId: string | undefined, userId: string | undefined): GrantParties {
    const client = clientId ? this.#db.sql('SELECT account_id, environment, name FROM clients WHERE id = ?').get(clientId) as Row | undefined : undefined;
    const user = userId ? this.#db.sql('SELECT account_id FROM users WHERE id = ?').get(userId) as Row | undefined : undefined;
    return {
      client: client && clientId ? { id: clientId, accountId: String(client.account_id), environment: String(client.environment) as Environment, name: String(client.name) } : undefined,
      userId,
      userAccountId: user ? String(user.account_id) : undefined,
    };
  }

  findTombstone(id: string): RefreshTombstone | undefined {
    const row = this.#db.sql('SELECT * FROM refresh_tombstones WHERE id = ? AND expires_at > ?').get(id, Date.now()) as Row | undefined;
    if (!row) return undefined;
    const reason = String(row.reason);
    return {
      id: String(row.id),
      reason: isGrantRevocationReason(reason) ? reason : 'revoked',
      at: new Date(Number(row.revoked_at)),
      grantId: String(row.grant_id),
      accountId: text(row.account_id),
      clientId: text(row.client_id),
      expiresAt: new Date(Number(row.expires_at)),
    };
  }

  /**
   * Grants past their own lifetime (payload.exp; the record itself is kept a while longer), oldest
   * first as on MongoDB; returns how many records went, as MongoDB's does.
   */
  revokeExpired(now: Date): number {
    const expired = this.#db.sql(`
      SELECT id FROM oidc WHERE model = 'Grant' AND json_extract(payload, '$.exp') <= ?
      ORDER BY json_extract(payload, '$.exp') LIMIT ?
    `).all(Math.floor(now.getTime() / 1000), EXPIRED_GRANTS_PER_SWEEP) as Row[];
    let removed = 0;
    for (const row of expired) removed += this.#revoke(String(row.id), { reason: 'grant_expired', actor: 'system', at: now });
    return removed;
  }
}
