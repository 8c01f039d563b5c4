// Agents: the apps that reach Latchkey with nobody registering them in the portal, by open dynamic
// registration or by a client ID metadata document (docs/agents.md). They are unverified until the
// operator verifies them, and the operator can block a host they come from. Three records, apart so
// that no write can undo another's: each app seen (kept current by the sightings), the operator's
// verifications (written only by the operator), and the blocked hosts. Every operator step is audited
// in the operator account. Each record sits in the store's model table, read by id on the paths that
// need it: only agents pay for the look-ups.
import type { Store } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { isRegisteredOpenly } from '../../config/registration.ts';
import { generateSortableId } from '../secrets.ts';

const SEEN = 'AgentClient';
const TRUST = 'AgentTrust';
const BLOCKED = 'BlockedHost';
/** A sighting is recorded at most once a day; an app not seen for this long is forgotten (a verification stays). */
const SEEN_FOR = 30 * LIFETIMES.unusedRegistration;

export type AgentSource = 'registration' | 'metadata_document';

export interface Sighting {
  /** The client id: a registered client's id, or the URL of its metadata document. */
  readonly id: string;
  readonly source: AgentSource;
  readonly name: string;
  /** `public`: it runs on the user's device (no client authentication); `web`: private_key_jwt. */
  readonly type: 'public' | 'web';
  /** Where it came from: the metadata document's host, or the host of its first redirect URI. */
  readonly host: string;
  readonly redirectUris: readonly string[];
}

export interface AgentClient extends Sighting {
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly verified: { readonly by: string; readonly at: Date } | undefined;
  /** New authorizations (first consents) counted today (UTC). */
  readonly authorizationsToday: number;
}

export interface BlockedHost {
  readonly host: string;
  readonly by: string;
  readonly at: Date;
}

export interface DailyCaps {
  readonly perClient: number;
  readonly perHost: number;
}

/** What the per-host cap counts a redirect URI under: a web host, or a private-use scheme; none for loopback. */
export function redirectHostOf(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url) return undefined;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol}`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' ? undefined : host;
}

/** A host as an operator types it: lower case, no scheme, port or path. */
export function normalizeHost(value: string): string | undefined {
  const host = value.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/[/:?#].*$/, '');
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host) ? host : undefined;
}

const today = (now: Date) => now.toISOString().slice(0, 10);
const clientCounter = (clientId: string, now: Date) => `agent-authorizations:client:${clientId}:${today(now)}`;

type AgentRecords = Pick<Store, 'oidc' | 'readCounter'>;

/** Whether the operator verified this app (a registered client's id or a metadata document's URL). */
export async function isAgentVerified(store: AgentRecords, clientId: string): Promise<boolean> {
  return (await store.oidc.find(TRUST, clientId)) !== undefined;
}

async function present(store: AgentRecords, id: string, seen: Record<string, unknown>, now: Date): Promise<AgentClient> {
  const trust = await store.oidc.find(TRUST, id);
  const counted = await store.readCounter(clientCounter(id, now));
  return {
    id, source: seen.source === 'registration' ? 'registration' : 'metadata_document', name: typeof seen.name === 'string' ? seen.name : '',
    type: seen.type === 'public' ? 'public' : 'web', host: typeof seen.host === 'string' ? seen.host : '',
    redirectUris: Array.isArray(seen.redirectUris) ? seen.redirectUris.map(String) : [],
    firstSeenAt: new Date(Number(seen.firstSeenAt)), lastSeenAt: new Date(Number(seen.lastSeenAt)),
    verified: trust ? { by: String(trust.by), at: new Date(Number(trust.at)) } : undefined,
    authorizationsToday: counted?.count ?? 0,
  };
}

/** The app as last seen, with its trust and today's count; undefined when never seen (or forgotten). */
export async function findAgent(store: AgentRecords, clientId: string, now = new Date()): Promise<AgentClient | undefined> {
  const seen = await store.oidc.find(SEEN, clientId);
  return seen ? present(store, clientId, seen, now) : undefined;
}

/** Forgets an app (an open registration nobody used, deleted), with its verification. */
export async function forgetAgent(store: AgentRecords, clientId: string): Promise<void> {
  await store.oidc.destroy(SEEN, clientId);
  await store.oidc.destroy(TRUST, clientId);
}

export class AgentRegistry {
  readonly #store: Store;
  readonly #caps: DailyCaps;
  /** The account agents belong to (they belong to no partner): the operator account. */
  readonly operatorAccountId: string;

  constructor(store: Store, operatorAccountId: string, caps: DailyCaps) {
    this.#store = store;
    this.operatorAccountId = operatorAccountId;
    this.#caps = caps;
  }

  /** Records that the app was seen: the first time, and then once a day (or when its name or URIs change). */
  async see(sighting: Sighting, now = new Date()): Promise<void> {
    const known = await this.#store.oidc.find(SEEN, sighting.id);
    const unchanged = known && known.seenDay === today(now) && known.name === sighting.name
      && JSON.stringify(known.redirectUris) === JSON.stringify(sighting.redirectUris);
    if (unchanged) return;
    await this.#store.oidc.upsert(SEEN, sighting.id, {
      source: sighting.source, name: sighting.name, type: sighting.type, host: sighting.host, redirectUris: [...sighting.redirectUris],
      firstSeenAt: typeof known?.firstSeenAt === 'number' ? known.firstSeenAt : now.getTime(), lastSeenAt: now.getTime(), seenDay: today(now),
    }, SEEN_FOR);
  }

  find(clientId: string): Promise<AgentClient | undefined> {
    return findAgent(this.#store, clientId);
  }

  isVerified(clientId: string): Promise<boolean> {
    return isAgentVerified(this.#store, clientId);
  }

  async #seeRegistered(clientId: string, now: Date): Promise<boolean> {
    const client = await this.#store.findClient(clientId);
    if (!client || !isRegisteredOpenly(client)) return false;
    await this.see({
      id: client.id, source: 'registration', name: client.name, type: client.type === 'public' ? 'public' : 'web',
      host: URL.parse(client.redirectUris[0] ?? '')?.hostname ?? '', redirectUris: client.redirectUris,
    }, now);
    return true;
  }

  /** The apps seen, in client-id order: the page after `after`. */
  async list(page: { limit: number; after?: string | undefined }, now = new Date()): Promise<AgentClient[]> {
    const seen = await this.#store.oidc.list(SEEN, page);
    return Promise.all(seen.map(({ id, payload }) => present(this.#store, id, payload, now)));
  }

  /**
   * The operator vouches for the app: it may ask for every scope its type allows. False when it was
   * never seen (an open registration not seen for a while is seen again from its stored record).
   */
  async verify(clientId: string, actor: string, now = new Date()): Promise<boolean> {
    if (!await this.#store.oidc.find(SEEN, clientId) && !await this.#seeRegistered(clientId, now)) return false;
    await this.#store.oidc.upsert(TRUST, clientId, { by: actor, at: now.getTime() }, undefined);
    await this.#audit('agent.verified', clientId, actor, now);
    return true;
  }

  /** Takes a verification back: the app is unverified again. False when it was not verified. */
  async unverify(clientId: string, actor: string, now = new Date()): Promise<boolean> {
    if (!await this.#store.oidc.find(TRUST, clientId)) return false;
    await this.#store.oidc.destroy(TRUST, clientId);
    await this.#audit('agent.unverified', clientId, actor, now);
    return true;
  }

  async isBlocked(host: string): Promise<boolean> {
    return (await this.#store.oidc.find(BLOCKED, host.toLowerCase())) !== undefined;
  }

  /** The first of these hosts that is blocked, if any. */
  async blockedAmong(hosts: Iterable<string | undefined>): Promise<string | undefined> {
    for (const host of new Set(hosts)) {
      if (host && await this.isBlocked(host)) return host;
    }
    return undefined;
  }

  async block(host: string, actor: string, now = new Date()): Promise<void> {
    await this.#store.oidc.upsert(BLOCKED, host, { by: actor, at: now.getTime() }, undefined);
    await this.#audit('agent.host_blocked', host, actor, now);
  }

  /** False when the host was not blocked. */
  async unblock(host: string, actor: string, now = new Date()): Promise<boolean> {
    if (!await this.isBlocked(host)) return false;
    await this.#store.oidc.destroy(BLOCKED, host);
    await this.#audit('agent.host_unblocked', host, actor, now);
    return true;
  }

  async blockedHosts(): Promise<BlockedHost[]> {
    const found = await this.#store.oidc.list(BLOCKED, { limit: 1000 });
    return found.map(({ id, payload }) => ({ host: id, by: String(payload.by), at: new Date(Number(payload.at)) }));
  }

  /**
   * Counts a new authorization of an unverified app, per app and per redirect host; the reason when
   * today's cap is reached (this one is then refused).
   */
  async countAuthorization(clientId: string, redirectUri: string, now = new Date()): Promise<string | undefined> {
    const client = await this.#store.hitCounter(clientCounter(clientId, now), LIFETIMES.unusedRegistration);
    if (client.count > this.#caps.perClient) {
      return `this unverified app has reached its limit of ${this.#caps.perClient} new authorizations today; the operator can verify it`;
    }
    const host = redirectHostOf(redirectUri);
    if (!host) return undefined;
    const behindHost = await this.#store.hitCounter(`agent-authorizations:host:${host}:${today(now)}`, LIFETIMES.unusedRegistration);
    if (behindHost.count > this.#caps.perHost) {
      return `unverified apps returning to ${host} have reached their limit of ${this.#caps.perHost} new authorizations today`;
    }
    return undefined;
  }

  async #audit(action: string, targetId: string, actor: string, at: Date): Promise<void> {
    await this.#store.recordAuditEvent({ id: generateSortableId('evt'), accountId: this.operatorAccountId, actor, action, targetId, reason: undefined, at });
  }
}
