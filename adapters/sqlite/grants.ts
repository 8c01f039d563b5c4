// The one path by which a grant dies (reuse, lost race, RFC 7009, the user, client deletion, a leak
// report, expiry): everything bound to the grant goes, each refresh token leaves a tombstone that
// says why, and the audit trail records it, in one transaction.
import { GRANT_REVOCATION_REASONS, isGrantRevocationReason } from '../../config/revocation.ts';
import { sortableId } from '../ids.ts';
import type { GrantRevocation, RefreshTombstone } from '../contract.ts';
import { insertAuditEvent } from './api-keys.ts';
import { markCredentialsChanged } from './credentials.ts';
import { text, type Database, type Row } from './database.ts';
import { webhookEventsFor, type EventSubject } from '../webhook-events.ts';
import { apiKeyWebhookEvents, insertOutboxEvents } from './outbox.ts';

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
      const keys = this.#revokeBoundKeys(grantId, revocation);
      // Caches hold the grant's bound keys: a repeat (keys already revoked) moves the generation too.
      const boundKeys = () => this.#db.sql('SELECT 1 FROM api_keys WHERE grant_id = ? LIMIT 1').get(grantId) !== undefined;
      if (Number(deleted) > 0 || keys > 0 || boundKeys()) markCredentialsChanged(this.#db);
      if (Number(deleted) === 0 && keys === 0) return false;
      for (const accountId of this.#accountsConcerned(text(owner?.client_id), text(owner?.account_id))) {
        insertAuditEvent(this.#db, {
          id: sortableId('evt'), accountId, actor: revocation.actor, action: 'grant.revoked',
          targetId: grantId, reason: revocation.reason, at: revocation.at,
        });
      }
      this.#webhookEvents(grantId, revocation, text(owner?.client_id), text(owner?.account_id));
      return true;
    });
  }

  /** API keys created with a token of the grant die with it, each with its own audit event. */
  #revokeBoundKeys(grantId: string, revocation: GrantRevocation): number {
    const reason = `grant revoked: ${GRANT_REVOCATION_REASONS[revocation.reason].summary}`;
    const keys = this.#db.sql(`
      UPDATE api_keys SET revoked_at = ?, revoked_reason = ? WHERE grant_id = ? AND revoked_at IS NULL RETURNING id, account_id
    `).all(revocation.at.getTime(), reason, grantId) as Row[];
    for (const key of keys) {
      const event = {
        id: sortableId('evt'), accountId: String(key.account_id), actor: revocation.actor, action: 'api_key.revoked',
        targetId: String(key.id), reason, at: revocation.at,
      };
      insertAuditEvent(this.#db, event);
      apiKeyWebhookEvents(this.#db, event);
    }
    return keys.length;
  }

  /** Once, for the client owner's account in the client's environment (not again for the user's account). */
  #webhookEvents(grantId: string, revocation: GrantRevocation, clientId: string | undefined, userId: string | undefined): void {
    const client = clientId ? this.#db.sql('SELECT account_id, environment FROM clients WHERE id = ?').get(clientId) as Row | undefined : undefined;
    if (!client) return;
    const subject: EventSubject = {
      accountId: String(client.account_id), environment: String(client.environment) as EventSubject['environment'], clientId, userId,
    };
    insertOutboxEvents(this.#db, webhookEventsFor({
      id: grantId, accountId: subject.accountId, actor: revocation.actor, action: 'grant.revoked', targetId: grantId,
      reason: revocation.reason, at: revocation.at,
    }, subject));
  }

  /** The client owner's account, and the user's organisation when that is another. */
  #accountsConcerned(clientId: string | undefined, userId: string | undefined): Set<string> {
    const accounts = new Set<string>();
    const client = clientId ? this.#db.sql('SELECT account_id FROM clients WHERE id = ?').get(clientId) as Row | undefined : undefined;
    const user = userId ? this.#db.sql('SELECT account_id FROM users WHERE id = ?').get(userId) as Row | undefined : undefined;
    if (client) accounts.add(String(client.account_id));
    if (user) accounts.add(String(user.account_id));
    return accounts;
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

  /** Grants past their own lifetime (payload.exp; the record itself is kept a while longer). */
  revokeExpired(now: Date): number {
    const expired = this.#db.sql(`
      SELECT id FROM oidc WHERE model = 'Grant' AND json_extract(payload, '$.exp') <= ? LIMIT ?
    `).all(Math.floor(now.getTime() / 1000), EXPIRED_GRANTS_PER_SWEEP) as Row[];
    let revoked = 0;
    for (const row of expired) {
      if (this.revoke(String(row.id), { reason: 'grant_expired', actor: 'system', at: now })) revoked += 1;
    }
    return revoked;
  }
}
