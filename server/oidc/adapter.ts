// Bridges oidc-provider's adapter interface to our Store. Clients come from the client repository;
// every other model goes to the generic OIDC model store.
//
// Most record ids are bearer secrets: a refresh token's or an authorization code's value is its id,
// a login session's id is its cookie. The store keeps only a SHA-256 of such ids (and drops the
// `jti` copy from the payload), so a copy of the database yields no usable token or session.
// Grant ids stay readable: they reference, they do not authorise.
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Context } from 'koa';
import type { ClientRecord, OidcPayload, Store } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { UserSessions } from '../accounts/user-sessions.ts';
import type { RegistrationPolicy } from '../../config/settings.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import { generateSortableId } from '../secrets.ts';
import { clientFromRegistration } from './registration.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { isRegisteredOpenly } from '../../config/registration.ts';
import { CLIENT_USED_MODEL } from '../clients/unused-registrations.ts';
import type { ClientCache } from '../cache/clients.ts';
import { clientMetadata } from './client-metadata.ts';
import { refuseBeforeConsume } from './before-consume.ts';
import { noteTombstone, oncePerRequest, revocationOfRequest } from './grant-revocation.ts';
import { recogniseRepeat } from './refresh-retry.ts';
import { READABLE_IDS, storageKey } from './storage-key.ts';

const SPENT_MESSAGE: Record<string, string> = {
  RefreshToken: 'refresh token already used',
  AuthorizationCode: 'authorization code already used',
};

// Kept past their own expiry (payload.exp) so that oidc-provider's "refresh token is expired",
// "authorization code is expired" and "grant is expired" checks can fire (not "not found"), and the
// sweep can revoke an expired grant with its reason.
const REMEMBERED_AFTER_EXPIRY = new Set(['Grant', 'RefreshToken', 'AuthorizationCode']);


function withoutJti(model: string, payload: AdapterPayload): Record<string, unknown> {
  if (READABLE_IDS.has(model)) return { ...payload };
  const rest: Record<string, unknown> = { ...payload };
  delete rest.jti;
  return rest;
}

function withJti(id: string, payload: Record<string, unknown> | undefined): AdapterPayload | undefined {
  return payload ? { ...payload, jti: id } : undefined;
}

export interface AdapterOptions {
  /** Seconds after its first use in which a refresh token presented again is a retry (refresh-retry.ts). */
  readonly refreshRetryWindow: number;
  /** The process's client cache (one for every provider built: dependencies.ts), dropped on every credentials change. */
  readonly clients: ClientCache;
  /** LATCHKEY_REGISTRATION: with `token` or `open`, oidc-provider's registrations are stored as our clients. */
  readonly registration?: RegistrationPolicy;
  /** Apps registered openly are recorded as seen, and refused when their redirect host is blocked. */
  readonly agents?: AgentRegistry;
  /** The place (portal session) of the browser making a request: a login session is tagged with it (user-sessions.ts). */
  readonly placeOf?: (ctx: Context) => string | undefined;
}

/** Where a login session records the place it belongs to, so that signing that place out ends it. */
const PLACE = 'latchkeyPlace';

export function createAdapterClass(store: Store, options: AdapterOptions) {
  // Read on every token request; kept per process and dropped on any credentials change.
  const { clients } = options;
  const userSessions = new UserSessions(store.oidc);

  /**
   * A login session made before its user's sessions were last ended (sign out everywhere), or of a
   * user who no longer exists (a removed member), is no session: oidc-provider then asks the user to
   * sign in again (for a missing user it would fail the request instead). Its row goes as housekeeping.
   */
  async function liveSession(found: OidcPayload | undefined, key: string | undefined): Promise<OidcPayload | undefined> {
    const { accountId, loginTs } = found ?? {};
    if (typeof accountId !== 'string' || typeof loginTs !== 'number') return found;
    const place = typeof found?.[PLACE] === 'string' ? found[PLACE] : undefined;
    if (await userSessions.stillValid(accountId, loginTs * 1000, place) && await store.findUser(accountId)) return found;
    if (key) await store.oidc.destroy('Session', key);
    return undefined;
  }
  /** An openly registered client a user authorized is kept (server/clients/unused-registrations.ts). */
  async function markUsed(clientId: string): Promise<void> {
    const client = await clients.find(clientId);
    if (client && isRegisteredOpenly(client)) await store.oidc.upsert(CLIENT_USED_MODEL, clientId, { usedAt: Date.now() }, LIFETIMES.grant);
  }
  /** A login session saved while the browser has a portal session belongs to that place; one with no user ("Not you?") to none. */
  function withPlace(model: string, payload: OidcPayload): OidcPayload {
    if (model !== 'Session' || !options.placeOf || !Provider.ctx || typeof payload.accountId !== 'string') return payload;
    const place = options.placeOf(Provider.ctx);
    return place ? { ...payload, [PLACE]: place } : payload;
  }

  return class StoreAdapter implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') {
        // Only dynamic registration makes clients through oidc-provider: stored as our own (registration.ts).
        if (!options.registration || options.registration === 'off') throw new Error('clients are created with the latchkey CLI, not by oidc-provider');
        const record = await clientFromRegistration(store, id, payload, Provider.ctx, options.agents);
        await store.createClient(record, {
          id: generateSortableId('evt'), accountId: record.accountId, actor: record.createdBy, action: 'client.created', targetId: record.id,
          reason: 'dynamic client registration', at: record.createdAt, detail: { name: record.name, type: record.type, environment: record.environment },
        });
        return;
      }
      if (this.name === 'Grant' && typeof payload.clientId === 'string') await markUsed(payload.clientId);
      const keepFor = REMEMBERED_AFTER_EXPIRY.has(this.name) && expiresIn ? expiresIn + LIFETIMES.expiredTokenMemory : expiresIn;
      await store.oidc.upsert(this.name, storageKey(this.name, id), withPlace(this.name, withoutJti(this.name, payload)), keepFor);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') {
        const client: ClientRecord | undefined = await clients.find(id);
        return client ? clientMetadata(client) : undefined;
      }
      // An API key (introspected by a resource server, which oidc-provider first looks up as its own
      // tokens) is never one of oidc-provider's: theirs are 43 characters, ours 57 and checksummed.
      if (parseApiKey(id)) return undefined;
      const key = storageKey(this.name, id);
      const stored = await store.oidc.find(this.name, key);
      const found = this.name === 'Session' ? await liveSession(stored, key) : stored;
      if (!found && this.name === 'RefreshToken') {
        // Not found: if its grant was revoked, the tombstone says why (see harden.ts).
        const tombstone = await store.oidc.findTombstone(key);
        if (tombstone) noteTombstone(tombstone);
      }
      if (found && this.name === 'RefreshToken' && typeof found.consumed === 'number') {
        // Spent: a retry inside the window is answered again, not taken for theft.
        await recogniseRepeat(store.oidc, id, key, found, options.refreshRetryWindow, false);
      }
      return withJti(id, found);
    }

    // Found by uid or user code, a record's id is not known here, so it comes back without `jti`;
    // oidc-provider only reads such records (session checks), it does not save them again.
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const found = await store.oidc.findByUid(this.name, uid);
      return this.name === 'Session' ? liveSession(found, undefined) : found;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.oidc.findByUserCode(this.name, userCode));
    }

    /**
     * oidc-provider checks `consumed` and then consumes, which two concurrent requests can both
     * pass. The store's consume is conditional: the loser lands here, is treated exactly like a
     * replay (the whole grant is revoked) and gets invalid_grant.
     */
    async consume(id: string): Promise<void> {
      refuseBeforeConsume(Provider.ctx);
      const key = storageKey(this.name, id);
      if (await store.oidc.consume(this.name, key)) return;
      const record = await store.oidc.find(this.name, key);
      if (record && this.name === 'RefreshToken') await recogniseRepeat(store.oidc, id, key, record, options.refreshRetryWindow, true);
      if (typeof record?.grantId === 'string') await this.#revokeGrant(record.grantId);
      throw new errors.InvalidGrant(SPENT_MESSAGE[this.name] ?? `${this.name} already used`);
    }

    /**
     * oidc-provider destroys a refresh token only when its grant dies (a replay, RFC 7009), and a
     * Grant only as part of revoking it: both go through the grant's one revocation path, so the
     * token gets its tombstone like the rest of the family.
     */
    async destroy(id: string): Promise<void> {
      const key = storageKey(this.name, id);
      const grantId = this.name === 'Grant' ? id : (await store.oidc.find(this.name, key))?.grantId;
      if ((this.name === 'Grant' || this.name === 'RefreshToken') && typeof grantId === 'string') {
        await this.#revokeGrant(grantId);
        return;
      }
      await store.oidc.destroy(this.name, key);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.#revokeGrant(grantId);
    }

    async #revokeGrant(grantId: string): Promise<void> {
      await oncePerRequest(grantId, () => store.oidc.revokeByGrantId(grantId, revocationOfRequest()));
    }
  };
}
