// The one path by which a grant dies: the Grant and every record bound to it go, each refresh token
// leaves a tombstone saying why, and the revocation is audited; all in one transaction. What dies and
// what is written is adapters/cascades.ts's to decide; this file reads the facts and carries it out.
import type { ClientSession } from 'mongodb';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { grantDeathPlan, keysOfGrant, type GrantParties } from '../cascades.ts';
import type { GrantRevocation, RefreshTombstone } from '../contract.ts';
import { lineageFilter, revokeKeys, writePlan } from './cascades.ts';
import { guard, type Connection } from './connection.ts';
import type { OidcDocument, TombstoneDocument } from './documents.ts';
import { GRANT_BOUND_MODELS } from './indexes.ts';
import { markCredentialsChanged } from './credentials.ts';

/** Expired grants revoked per sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/** Who a grant's records belong to: the user (oidc-provider's accountId) and the client. */
type Subject = Pick<OidcDocument, 'accountId' | 'clientId'>;
const SUBJECT = { accountId: 1, clientId: 1 } as const;

export class MongoGrants {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async revokeByGrantId(grantId: string, revocation: GrantRevocation): Promise<boolean> {
    return (await this.#revoke(grantId, revocation)) > 0;
  }

  /**
   * Revokes in one transaction and returns how many records it deleted; 0 when nothing was left, and
   * then nothing was written. Two parallel calls conflict on their first common write: the driver
   * retries the loser's transaction, which then finds nothing and returns 0.
   */
  async #revoke(grantId: string, revocation: GrantRevocation): Promise<number> {
    const c = this.#connection;
    return c.transaction(async (session) => {
      const grant = await c.oidc('Grant').findOneAndDelete({ _id: grantId }, { session, projection: SUBJECT });
      const refreshTokens = await c.oidc('RefreshToken')
        .find({ grantId }, { session, projection: { ...SUBJECT, expiresAt: 1 } }).toArray();
      if (refreshTokens.length > 0) {
        await c.tombstones().bulkWrite(refreshTokens.map((token) => ({
          updateOne: {
            filter: { _id: token._id },
            // $setOnInsert: a token already tombstoned by an earlier revocation keeps its first reason.
            update: { $setOnInsert: tombstone(grantId, revocation, { ...grant, ...token }, token.expiresAt) },
            upsert: true,
          },
        })), { session });
      }
      // The Grant document may already be gone (deleted by hand, say): then any record still bound to
      // the grant says whose it was.
      let subject: Subject | null = grant ?? refreshTokens[0] ?? null;
      let removed = grant ? 1 : 0;
      for (const model of GRANT_BOUND_MODELS) {
        const collection = c.oidc(model);
        subject ??= await collection.findOne({ grantId }, { session, projection: SUBJECT });
        removed += (await collection.deleteMany({ grantId }, { session })).deletedCount;
      }
      const keys = await revokeKeys(c, keysOfGrant(grantId, revocation), revocation.at, session);
      removed += keys.length;
      // Only its bound keys are cached (a grant is not), so only they move the generation: an expired
      // grant swept without keys drops no cache anywhere; a repeat (keys already revoked) still moves it.
      if (keys.length > 0 || await c.apiKeys().findOne(lineageFilter('grantId', grantId), { session, projection: { _id: 1 } })) {
        await markCredentialsChanged(c, session);
      }
      if (removed === 0) return 0;
      await writePlan(c, grantDeathPlan(grantId, revocation, await this.#parties(subject, session), keys), session);
      return removed;
    });
  }

  /** The grant's client (with its owner) and user (with the user's account), as far as they still exist. */
  async #parties(subject: Subject | null, session: ClientSession): Promise<GrantParties> {
    const c = this.#connection;
    const clientId = subject?.clientId ?? undefined;
    const userId = subject?.accountId ?? undefined;
    const client = clientId ? await c.clients().findOne({ _id: clientId }, { session, projection: { accountId: 1, environment: 1, name: 1 } }) : null;
    const user = userId ? await c.users().findOne({ _id: userId }, { session, projection: { accountId: 1 } }) : null;
    return {
      client: client && clientId ? { id: clientId, accountId: client.accountId, environment: client.environment, name: client.name } : undefined,
      userId,
      userAccountId: user?.accountId,
    };
  }

  async findTombstone(id: string): Promise<RefreshTombstone | undefined> {
    const doc = await guard(() => this.#connection.tombstones().findOne({ _id: id, expiresAt: { $gt: new Date() } }));
    return doc
      ? {
        id: doc._id, reason: doc.reason, at: doc.at, grantId: doc.grantId,
        accountId: doc.accountId ?? undefined, clientId: doc.clientId ?? undefined, expiresAt: doc.expiresAt,
      }
      : undefined;
  }

  /**
   * Revokes (reason `grant_expired`) the grants whose own lifetime, `payload.exp`, has ended. Their
   * stored expiresAt is later, so they are found here before the TTL monitor deletes them without a
   * trace. Returns how many records went.
   */
  async revokeExpired(now: Date): Promise<number> {
    const expired = await guard(() => this.#connection.oidc('Grant')
      .find({ 'payload.exp': { $lte: Math.floor(now.getTime() / 1000) } })
      .sort({ 'payload.exp': 1 }).limit(SWEEP_BATCH).project<{ _id: string }>({ _id: 1 }).toArray());
    let removed = 0;
    for (const { _id } of expired) removed += await this.#revoke(_id, { reason: 'grant_expired', actor: 'system', at: now });
    return removed;
  }
}

function tombstone(grantId: string, revocation: GrantRevocation, subject: Subject, expiresAt: Date | null): Omit<TombstoneDocument, '_id'> {
  return {
    reason: revocation.reason,
    at: revocation.at,
    grantId,
    accountId: subject.accountId ?? null,
    clientId: subject.clientId ?? null,
    // A token stored without expiry still gets one: a refresh token's lifetime from the revocation.
    expiresAt: expiresAt ?? new Date(revocation.at.getTime() + LIFETIMES.refreshToken * 1000),
  };
}
