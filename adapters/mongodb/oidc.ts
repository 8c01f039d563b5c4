// oidc-provider's records: one collection per model (`oidc_<Model>`) with a TTL index on `expiresAt`.
// Reads never return an expired record (the TTL monitor may lag a minute), and consume is an atomic
// conditional update so that exactly one of two parallel refreshes wins.
import type { Collection } from 'mongodb';
import type { GrantRevocation, OidcModelStore, OidcPayload, RefreshTombstone } from '../contract.ts';
import { alive, guard, mayHaveApplied, type Connection } from './connection.ts';
import { COLLECTIONS, oidcCollectionName, type OidcDocument } from './documents.ts';
import type { MongoGrants } from './grants.ts';
import { ensureCollectionIndexes, isKnownModel, OIDC_MODEL_INDEXES } from './indexes.ts';

/** The collections whose expired documents the sweep deletes. */
const SWEPT = new RegExp(`^(${oidcCollectionName('')}|${COLLECTIONS.tombstones}$)`);

export class MongoOidcStore implements OidcModelStore {
  readonly #connection: Connection;
  readonly #grants: MongoGrants;
  /** Models outside OIDC_MODELS whose indexes this process has created. */
  readonly #indexed = new Set<string>();

  constructor(connection: Connection, grants: MongoGrants) {
    this.#connection = connection;
    this.#grants = grants;
  }

  /**
   * Known models got their indexes at boot. A model oidc-provider adds later (unknown to this list)
   * still works: its indexes are created on first use, once per process.
   */
  async #collection(model: string): Promise<Collection<OidcDocument>> {
    if (!isKnownModel(model) && !this.#indexed.has(model)) {
      await ensureCollectionIndexes(this.#connection.db, oidcCollectionName(model), OIDC_MODEL_INDEXES);
      this.#indexed.add(model);
    }
    return this.#connection.oidc(model);
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const document: Omit<OidcDocument, '_id'> = {
      payload,
      consumedAt: typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000) : null,
      expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    // Copied out of the payload so that they can be indexed and queried.
    for (const [key, value] of [['grantId', payload.grantId], ['uid', payload.uid], ['userCode', payload.userCode],
      ['accountId', payload.accountId], ['clientId', payload.clientId]] as const) {
      if (str(value)) document[key] = str(value);
    }
    await guard(async () => (await this.#collection(model)).replaceOne({ _id: id }, document, { upsert: true }));
  }

  async #findOne(model: string, filter: Partial<Record<'_id' | 'uid' | 'userCode', string>>): Promise<OidcPayload | undefined> {
    const found = await guard(async () => (await this.#collection(model)).findOne({ ...filter, ...alive(new Date()) }));
    return found?.payload;
  }

  find(model: string, id: string) { return this.#findOne(model, { _id: id }); }
  async list(model: string, page: { limit: number; after?: string | undefined }) {
    if (page.limit <= 0) return [];
    const found = await guard(async () => (await this.#collection(model))
      .find({ _id: { $gt: page.after ?? '' }, ...alive(new Date()) }).sort({ _id: 1 }).limit(page.limit).toArray());
    return found.map((doc) => ({ id: doc._id, payload: doc.payload }));
  }
  findByUid(model: string, uid: string) { return this.#findOne(model, { uid }); }
  findByUserCode(model: string, userCode: string) { return this.#findOne(model, { userCode }); }

  /**
   * A consume that fails after it may have been written (majority not confirmed in time) is undone
   * before the error (503) is answered: the client saw no tokens, so its retry must find the token
   * unspent, not take a spent one for refresh reuse and revoke the grant (issue 21, defect 7). The
   * undo matches this consume's own timestamp only; if it fails too, the token stays spent.
   */
  async consume(model: string, id: string): Promise<boolean> {
    const now = new Date();
    return guard(async () => {
      const collection = await this.#collection(model);
      try {
        const updated = await collection.findOneAndUpdate(
          { _id: id, consumedAt: null, ...alive(now) },
          { $set: { consumedAt: now, 'payload.consumed': Math.floor(now.getTime() / 1000) } },
          { projection: { _id: 1 } },
        );
        return updated !== null;
      } catch (err) {
        if (mayHaveApplied(err)) {
          await collection.updateOne({ _id: id, consumedAt: now }, { $set: { consumedAt: null }, $unset: { 'payload.consumed': '' } })
            .catch(() => undefined);
        }
        throw err;
      }
    });
  }

  async destroy(model: string, id: string): Promise<void> {
    await guard(async () => (await this.#collection(model)).deleteOne({ _id: id }));
  }

  revokeByGrantId(grantId: string, revocation: GrantRevocation): Promise<boolean> { return this.#grants.revokeByGrantId(grantId, revocation); }
  findTombstone(id: string): Promise<RefreshTombstone | undefined> { return this.#grants.findTombstone(id); }

  async listGrants(accountId: string): Promise<OidcPayload[]> {
    const found = await guard(async () => (await this.#collection('Grant'))
      .find({ accountId, ...alive(new Date()) }).sort({ expiresAt: -1 }).limit(200).toArray());
    return found.map((document) => document.payload);
  }

  // Expired (not yet removed by the TTL monitor) or consumed, a refresh token's iat is still when the
  // grant was last used. The grantId index finds them.
  async grantsLastUsed(grantIds: readonly string[]): Promise<Map<string, Date>> {
    if (grantIds.length === 0) return new Map();
    const rows = await guard(async () => (await this.#collection('RefreshToken')).aggregate<{ _id: string; iat: unknown }>([
      { $match: { grantId: { $in: [...grantIds] } } },
      { $group: { _id: '$grantId', iat: { $max: '$payload.iat' } } },
    ]).toArray());
    return new Map(rows.filter((row) => typeof row.iat === 'number').map((row) => [row._id, new Date((row.iat as number) * 1000)]));
  }

  async findGrantId(accountId: string, clientId: string): Promise<string | undefined> {
    const found = await guard(async () => (await this.#collection('Grant'))
      .find({ accountId, clientId, ...alive(new Date()) }).sort({ expiresAt: -1 }).limit(1).project<{ _id: string }>({ _id: 1 }).next());
    return found?._id;
  }

  /**
   * Deletes what has expired in every oidc collection (known models or not) and the tombstones;
   * returns how many documents went. The TTL monitor would too, within a minute or so.
   */
  async sweep(now: Date): Promise<number> {
    const db = this.#connection.db;
    let removed = 0;
    const collections = await guard(() => db.listCollections({ name: SWEPT }, { nameOnly: true }).toArray());
    for (const { name } of collections) {
      removed += (await guard(() => db.collection(name).deleteMany({ expiresAt: { $lte: now } }))).deletedCount;
    }
    return removed;
  }
}
