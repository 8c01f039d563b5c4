// The embedded store's hands for lineage (adapters/cascades.ts): when a credential dies, what it
// created dies or is disabled, transitively, inside the caller's transaction.
import { clientDisabledEvent, creatorName, creatorOf, keyDeathsPlan, keysCreatedBy, lineageReason, webhookDisabledEvent } from '../cascades.ts';
import { revokeLiveSecrets } from '../client-lifecycle.ts';
import { CreatorGoneError, type ClientRecord } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { revokeKeys, writePlan } from './cascades.ts';
import { toClient, toStoredSecret } from './client-rows.ts';
import { markCredentialsChanged } from './credentials.ts';
import type { Database, Row } from './database.ts';
import { SqliteGrants } from './grants.ts';

/**
 * Inside a creation's transaction: its creator key or client, and the grant it is bound to, are
 * still live (SQLite runs one write transaction at a time, so nothing revokes them before commit).
 */
export function assertCreatorLive(db: Database, createdBy: string, grantId: string | undefined, at: Date): void {
  const creator = creatorOf(createdBy);
  const now = at.getTime();
  if (creator?.kind === 'api_key'
    && !db.sql('SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)').get(creator.id, now)) {
    throw new CreatorGoneError();
  }
  if (creator?.kind === 'client' && !db.sql('SELECT 1 FROM clients WHERE id = ?').get(creator.id)) throw new CreatorGoneError();
  const liveGrant = "SELECT 1 FROM oidc WHERE model = 'Grant' AND id = ? AND (json_extract(payload, '$.exp') IS NULL OR json_extract(payload, '$.exp') > ?)";
  if (grantId && !db.sql(liveGrant).get(grantId, Math.floor(now / 1000))) throw new CreatorGoneError();
}

/** Ends what `root` created, and what that created, breadth first; each with its audit event. */
export function endCreations(db: Database, root: { kind: 'api_key' | 'client'; id: string }, actor: string, at: Date): void {
  const reason = lineageReason(root);
  const grants = new SqliteGrants(db);
  const seen = new Set<string>();
  for (const pending = [creatorName(root.kind, root.id)]; pending.length > 0;) {
    const creator = pending.shift()!;
    if (seen.has(creator)) continue;
    seen.add(creator);
    const lineage = keysCreatedBy(creator, reason, at);
    const keys = revokeKeys(db, lineage, at);
    writePlan(db, keyDeathsPlan(keys, lineage, actor, at));
    pending.push(...keys.map((key) => creatorName('api_key', key.id)));
    for (const row of db.sql('SELECT * FROM clients WHERE created_by = ?').all(creator) as Row[]) {
      const client = toClient(row);
      disableClient(db, grants, client, reason, actor, at);
      pending.push(creatorName('client', client.id));
    }
    disableWebhooks(db, creator, reason, actor, at);
  }
}

/** Every live secret revoked as a leaked one is, and every grant revoked: its owner enables it again by rotating. */
function disableClient(db: Database, grants: SqliteGrants, client: ClientRecord, reason: string, actor: string, at: Date): void {
  db.sql('UPDATE clients SET secrets = ?, secret_hash = NULL, updated_at = ?, revision = revision + 1 WHERE id = ?')
    .run(JSON.stringify(revokeLiveSecrets(client.secrets, at).map(toStoredSecret)), at.getTime(), client.id);
  insertAuditEvent(db, clientDisabledEvent(client, reason, actor, at));
  markCredentialsChanged(db);
  const owned = db.sql("SELECT id FROM oidc WHERE model = 'Grant' AND client_id = ?").all(client.id) as Row[];
  for (const grant of owned) grants.revoke(String(grant.id), { reason: 'creator_revoked', actor, at });
}

/** Webhooks the creator made stop hearing events (they would forward security events to whoever holds it). */
function disableWebhooks(db: Database, creator: string, reason: string, actor: string, at: Date): void {
  const hooks = db.sql(`
    UPDATE webhooks SET data = json_set(data, '$.disabled_at', ?, '$.disabled_reason', ?), updated_at = ?
    WHERE json_extract(data, '$.created_by') = ? AND json_extract(data, '$.disabled_at') IS NULL
    RETURNING id, account_id
  `).all(at.toISOString(), reason, at.getTime(), creator) as Row[];
  for (const hook of hooks) insertAuditEvent(db, webhookDisabledEvent({ id: String(hook.id), accountId: String(hook.account_id) }, reason, actor, at));
}
