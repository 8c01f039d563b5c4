// Part of the storage contract (adapters/contract.ts re-exports it): API keys, and the audit log
// their store also keeps.
import type { AuditEvent, Environment } from './contract-base.ts';
import type { AuditFilter } from './contract.ts';

export interface ApiKeyRecord {
  readonly id: string;
  readonly accountId: string;
  readonly environment: Environment;
  readonly name: string;
  readonly scopes: readonly string[];
  /** HMAC-SHA256 of the key under the pepper; the key itself is never stored. */
  readonly hash: string;
  /** Display hint: `sk_live_` and the last four characters. */
  readonly prefix: string;
  readonly last4: string;
  /** Who created it: `user:<id>`, `client:<id>`, `api_key:<id>` or `cli`. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly revokedAt: Date | undefined;
  readonly revokedReason: string | undefined;
  /** Set on a rolled key: its successor. The key keeps working until expiresAt (the overlap). */
  readonly replacedBy: string | undefined;
  /** Set on a key made by a roll: its predecessor. */
  readonly replaces: string | undefined;
  /**
   * The grant of the user-delegated token that created it (or of its predecessor): the key is
   * revoked whenever that grant dies (revokeByGrantId).
   */
  readonly grantId: string | undefined;
  readonly lastUsedAt: Date | undefined;
}


export interface KeyPage {
  readonly limit: number;
  readonly after?: string | undefined;
  readonly environment?: Environment | undefined;
}

export interface ApiKeyStore {
  /**
   * Stores the key and its audit event together. CreatorGoneError when its creator key or client
   * (`createdBy`) or its grant is no longer live at commit (also for rollApiKey's replacement).
   */
  createApiKey(key: ApiKeyRecord, event: AuditEvent): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Replaces a key's hash (made under an older pepper) with `to`, if it still is `from`; false otherwise. */
  rehashApiKey(id: string, from: string, to: string): Promise<boolean>;
  /** How many unrevoked keys have hashes made under each pepper id (`1`: a bare hash). */
  countApiKeyHashesByPepper(): Promise<Record<string, number>>;
  /** In id (creation) order; the page after `after` when given; one environment's when given. */
  listApiKeys(accountId: string, page?: KeyPage): Promise<ApiKeyRecord[]>;
  /** Keys of the account neither revoked nor expired at `now`. */
  countLiveApiKeys(accountId: string, now: Date): Promise<number>;
  /**
   * All or nothing: the old key gets `expiresAt` (the end of its overlap) and `replacedBy`, the new
   * key is stored, the event recorded. False (and nothing changed) when the old key is revoked or
   * was already rolled.
   */
  rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent): Promise<boolean>;
  /** Marks the key revoked; false when it already was or does not exist. */
  revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent): Promise<boolean>;
  /** Records a use; callers throttle it (see server/api-keys/last-used.ts). */
  touchApiKey(id: string, at: Date): Promise<void>;
  /**
   * The account's newest events first; the page of those older than `before` (an event id) when
   * given; only those `filter` keeps when given.
   */
  listAuditEvents(accountId: string, limit: number, before?: string, filter?: AuditFilter): Promise<AuditEvent[]>;
  /** Records an event that goes with no other change (consent granted, a sign-up). */
  recordAuditEvent(event: AuditEvent): Promise<void>;
  /** One object's events (a key, a grant), newest first; the page of those older than `before` when given. */
  listTargetEvents(accountId: string, targetId: string, page: { limit: number; before?: string | undefined }): Promise<AuditEvent[]>;
}
