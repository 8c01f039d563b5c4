// The types every part of the storage contract shares (adapters/contract.ts re-exports them): kept
// apart so that the contract's files import this one and never each other in a circle.

export type Environment = 'test' | 'live';

export interface AuditEvent {
  readonly id: string;
  readonly accountId: string;
  /** `user:<id>`, `client:<id>`, `api_key:<id>`, `cli` or `system`. */
  readonly actor: string;
  /**
   * `api_key.created|rolled|revoked`, `client.created|updated|secret_rotated|deleted`,
   * `consent.granted`, `account.created`, `grant.revoked` (its reason says why: revoked_by_user, reused, …).
   */
  readonly action: string;
  readonly targetId: string;
  readonly reason: string | undefined;
  readonly at: Date;
  /**
   * Display facts kept with the event (the key's or app's name, the scopes consented, a leak report's
   * URL): never a credential's value.
   */
  readonly detail?: Readonly<Record<string, string>> | undefined;
}

export type RecordKind = 'contact' | 'event' | 'webhook' | 'invoice';

/** A Partner API object, partitioned by account and environment. */
export interface PartnerRecord {
  readonly id: string;
  readonly kind: RecordKind;
  readonly accountId: string;
  readonly environment: Environment;
  readonly data: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
