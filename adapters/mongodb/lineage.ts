// The MongoDB store's hands for lineage (adapters/cascades.ts): when a credential dies, what it
// created dies or is disabled, transitively, inside the caller's transaction. The grants of the
// clients it disables die afterwards, each through the grant's own revocation path (its own
// transaction: a session runs one transaction at a time); endCreations returns those clients.
import type { ClientSession } from 'mongodb';
import { clientDisabledEvent, creatorName, creatorOf, keyDeathsPlan, keysCreatedBy, lineageReason, webhookDisabledEvent } from '../cascades.ts';
import { revokeLiveSecrets } from '../client-lifecycle.ts';
import { CreatorGoneError } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { revokeKeys, writePlan } from './cascades.ts';
import { secretDocument, toClient } from './client-documents.ts';
import type { Connection } from './connection.ts';
import { markCredentialsChanged } from './credentials.ts';
import type { MongoGrants } from './grants.ts';

/**
 * Inside a creation's transaction: writes its creator key or client, and the grant it is bound to,
 * only while they are live. Under snapshot isolation a read alone would not conflict with a
 * concurrent revocation (write skew); this write does, so one of the two transactions is retried
 * and sees the other (issue 21, defect 3). No live creator: CreatorGoneError.
 */
export async function touchCreator(c: Connection, createdBy: string, grantId: string | undefined, at: Date, session: ClientSession): Promise<void> {
  const creator = creatorOf(createdBy);
  const touched = { $set: { lineageCheckedAt: at } };
  if (creator?.kind === 'api_key') {
    const live = { _id: creator.id, revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: at } }] };
    if ((await c.apiKeys().updateOne(live, touched, { session })).matchedCount !== 1) throw new CreatorGoneError();
  }
  if (creator?.kind === 'client' && (await c.clients().updateOne({ _id: creator.id, deletedAt: null }, touched, { session })).matchedCount !== 1) {
    throw new CreatorGoneError();
  }
  if (grantId) {
    const liveGrant = { _id: grantId, $or: [{ 'payload.exp': { $exists: false } }, { 'payload.exp': { $gt: Math.floor(at.getTime() / 1000) } }] };
    if ((await c.oidc('Grant').updateOne(liveGrant, touched, { session })).matchedCount !== 1) throw new CreatorGoneError();
  }
}

/** Ends what `root` created, and what that created, breadth first; resolves with the clients disabled. */
export async function endCreations(
  c: Connection, root: { kind: 'api_key' | 'client'; id: string }, actor: string, at: Date, session: ClientSession,
): Promise<string[]> {
  const reason = lineageReason(root);
  const disabled: string[] = [];
  const seen = new Set<string>();
  for (const pending = [creatorName(root.kind, root.id)]; pending.length > 0;) {
    const creator = pending.shift()!;
    if (seen.has(creator)) continue;
    seen.add(creator);
    const lineage = keysCreatedBy(creator, reason, at);
    const keys = await revokeKeys(c, lineage, at, session);
    await writePlan(c, keyDeathsPlan(keys, lineage, actor, at), session);
    pending.push(...keys.map((key) => creatorName('api_key', key.id)));
    for (const doc of await c.clients().find({ createdBy: creator, deletedAt: null }, { session }).toArray()) {
      const client = toClient(doc);
      await c.clients().updateOne({ _id: client.id }, {
        $set: { secrets: revokeLiveSecrets(client.secrets, at).map(secretDocument), updatedAt: at }, $unset: { secretHash: '' }, $inc: { revision: 1 },
      }, { session });
      await insertAuditEvent(c, clientDisabledEvent(client, reason, actor, at), session);
      await markCredentialsChanged(c, session);
      disabled.push(client.id);
      pending.push(creatorName('client', client.id));
    }
    const hooks = await c.webhooks().find({ 'data.created_by': creator, 'data.disabled_at': null }, { session }).toArray();
    for (const hook of hooks) {
      await c.webhooks().updateOne({ _id: hook._id }, { $set: { 'data.disabled_at': at.toISOString(), 'data.disabled_reason': reason, updatedAt: at } }, { session });
      await insertAuditEvent(c, webhookDisabledEvent({ id: hook.recordId, accountId: hook.accountId }, reason, actor, at), session);
    }
  }
  return disabled;
}

/** After the transaction: the disabled clients' grants die (reason creator_revoked). */
export async function revokeGrantsOf(c: Connection, grants: MongoGrants, clientIds: readonly string[], actor: string, at: Date): Promise<void> {
  for (const clientId of clientIds) {
    for (const grant of await c.oidc('Grant').find({ clientId }, { projection: { _id: 1 } }).toArray()) {
      await grants.revokeByGrantId(grant._id, { reason: 'creator_revoked', actor, at });
    }
  }
}
