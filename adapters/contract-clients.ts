// The storage contract, OAuth clients: their secrets (each with its own end), logos, edits
// conditional on a revision, and deletion. Part of adapters/contract.ts, which re-exports it.
import type { ClientType } from '../config/scopes.ts';
import type { AuditEvent, Environment } from './contract-base.ts';

/** One of a client's secrets, as a hash. A client holds its newest secret and any still overlapping. */
export interface ClientSecretRecord {
  /** Stable id (`cs_…`), shown in the portal and the audit trail; never the secret. */
  readonly id: string;
  /** HMAC-SHA256 of the secret under the pepper. */
  readonly hash: string;
  /** The secret's last four characters, a display hint. */
  readonly last4: string;
  readonly createdAt: Date;
  /** Set when a newer secret replaced it: the end of its overlap. Unset on the newest secret. */
  readonly expiresAt: Date | undefined;
  /** Set when revoked (reported leaked, rotated with no overlap): it never works again. */
  readonly revokedAt: Date | undefined;
  readonly revokedReason: string | undefined;
}

/** A logo uploaded (or fetched once) at registration, served from our own origin. */
export interface ClientLogo {
  readonly contentType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  readonly bytes: Uint8Array;
}

export interface ClientRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly type: ClientType;
  readonly environment: Environment;
  readonly scopes: readonly string[];
  readonly redirectUris: readonly string[];
  /** Where RP-Initiated Logout may send the browser back to (web apps); exact match, like redirectUris. */
  readonly postLogoutRedirectUris: readonly string[];
  /** `client_secret_basic` (and `_post`) or `private_key_jwt`. */
  readonly authMethod: 'client_secret_basic' | 'private_key_jwt' | 'none';
  /** HMAC-SHA256 of the newest live secret under the pepper; never the secret itself. Unset when none works. */
  readonly secretHash: string | undefined;
  /**
   * Every secret not yet pruned, newest first: the newest, those still in their overlap, and revoked
   * or expired ones kept for display until the next change. Authentication accepts any entry neither
   * revoked nor past its expiresAt.
   */
  readonly secrets: readonly ClientSecretRecord[];
  /** Public keys for private_key_jwt. */
  readonly jwks: { keys: object[] } | undefined;
  /** The app's homepage (web apps), shown on the consent page. */
  readonly homepageUrl: string | undefined;
  /** A content digest of the logo when one is stored (findClientLogo), for cache-busting URLs. */
  readonly logoDigest: string | undefined;
  /**
   * For a `resource_server` client only: the resource (absolute URL) whose access tokens and API keys
   * it may introspect.
   */
  readonly resource: string | undefined;
  /** Who registered it: `user:<id>`, `client:<id>`, `api_key:<id>` or `cli`. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Bumped by every change; updateClient is conditional on it (two edits never silently merge). */
  readonly revision: number;
}

export interface ClientStore {
  /**
   * Stores the client (and its logo, when given) with its `client.created` event, all or nothing.
   * CreatorGoneError when the key or client that creates it (`createdBy`) is no longer live.
   */
  createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo): Promise<void>;
  findClient(id: string): Promise<ClientRecord | undefined>;
  /** The account's clients, oldest first. */
  listClients(accountId: string): Promise<ClientRecord[]>;
  /**
   * Replaces the client with `next` (whose revision is `expectedRevision + 1`) and records the event,
   * all or nothing, only when the stored revision is still `expectedRevision`; false (nothing changed)
   * otherwise or when the client is gone. `logo`: a new logo to store, or null to remove it.
   */
  updateClient(next: ClientRecord, expectedRevision: number, event: AuditEvent, logo?: ClientLogo | null): Promise<boolean>;
  /**
   * Deletes the client and its logo, records the event, and ends everything it let anyone do, as one
   * operation that a crash cannot leave half done: every grant of the client dies through the grant
   * revocation path (reason `client_deleted`, so its refresh tokens leave tombstones), and what it
   * created is revoked or disabled (adapters/cascades.ts). False when no such client. The embedded
   * store does it in one transaction; MongoDB in steps, the first of which hides the client and tells
   * every cache, and sweepExpired finishes a deletion that stopped after it.
   */
  deleteClient(id: string, event: AuditEvent): Promise<boolean>;
  findClientLogo(clientId: string): Promise<ClientLogo | undefined>;
}
