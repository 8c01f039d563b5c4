// The MongoDB store's document shapes and collection names: how each record of the contract is
// stored. Shared by every domain of the store (connection.ts gives typed access to the collections).
import type { Binary } from 'mongodb';
import type { GrantRevocationReason } from '../../config/revocation.ts';
import type { Role } from '../../config/roles.ts';
import type {
  ApiKeyRecord, AuditEvent, ClientLogo, ClientRecord, DeliveryStatus, Environment, LeakReport, MailStatus, OidcPayload, PartnerRecord,
  UserTokenPurpose,
} from '../contract.ts';

export interface OidcDocument {
  _id: string;
  payload: OidcPayload;
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  clientId?: string;
  consumedAt: Date | null;
  expiresAt: Date | null;
}

/** The policy fields came with schema version 10; absent means off. */
export interface AccountDocument {
  _id: string; name: string; createdAt: Date; requireTwoFactor?: boolean; liveAdminsOnly?: boolean;
  /** Written by a change that could take an owner away, so two such changes conflict (teams.ts). */
  ownersCheckedAt?: Date;
}
/** `emailVerifiedAt`, `totp` and `recoveryCodes` came with schema version 9 (users before it are verified). */
export interface UserDocument {
  _id: string;
  accountId: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
  emailVerifiedAt?: Date | null;
  totp?: { sealedSecret: string; enabledAt: Date; lastStep: number } | null;
  recoveryCodes?: string[];
  /** Came with schema version 10: users before it made their accounts alone and own them. */
  role?: Role;
}
/** An invitation (contract-teams.ts); `tokenHash` is unique. */
export interface InvitationDocument {
  _id: string;
  accountId: string;
  email: string;
  role: Role;
  tokenHash: string;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}
/** A single-use link: `_id` is the HMAC of its token; the TTL index removes it once expired. */
export interface UserTokenDocument {
  _id: string;
  userId: string;
  purpose: UserTokenPurpose;
  email: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}
/** A mail of the outbox (contract-accounts.ts); the TTL index removes it a week after it finished. */
export interface MailDocument {
  _id: string;
  to: string;
  template: string;
  sealed: string;
  createdAt: Date;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  finishedAt: Date | null;
}
/** A client secret as stored: absent dates are null. */
export interface ClientSecretDocument {
  id: string;
  hash: string;
  last4: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}
/**
 * Documents from before schema version 5 get secrets, createdBy, updatedAt and revision from that
 * migration. `deletedAt` is set while a deletion is under way: the client is then gone for every read,
 * and the sweep finishes a deletion that stopped half-way (clients.ts).
 */
export interface ClientDocument extends Omit<ClientRecord,
  'id' | 'secretHash' | 'jwks' | 'scopes' | 'redirectUris' | 'postLogoutRedirectUris' | 'secrets' | 'homepageUrl' | 'logoDigest' | 'resource'> {
  _id: string;
  scopes: string[];
  redirectUris: string[];
  /** Absent on documents from before schema version 9: read as none. */
  postLogoutRedirectUris?: string[];
  secretHash?: string;
  secrets: ClientSecretDocument[];
  jwks?: { keys: object[] };
  homepageUrl: string | null;
  logoDigest: string | null;
  /** Absent on documents from before schema version 6: read as none. */
  resource?: string | null;
  deletedAt?: Date | null;
  /** The `client.deleted` event, kept from a deletion's first step so a resumed one writes it. */
  deletion?: AuditDocument | null;
}
/** A client's logo, apart from the client document read on every token request; `_id` is the client id. */
export interface ClientLogoDocument { _id: string; contentType: ClientLogo['contentType']; bytes: Binary }
export interface SecretDocument { _id: string; value: string }
/** Optional fields are stored as null, so that filters like { revokedAt: null } match them. */
type Nullable<T> = { -readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
export type ApiKeyDocument = Nullable<Omit<ApiKeyRecord, 'id' | 'scopes'>> & { _id: string; scopes: string[] };
/** `detail` is absent or null on events without one (and on every event from before schema version 5). */
export type AuditDocument = Nullable<Omit<AuditEvent, 'id' | 'detail'>> & { _id: string; detail?: Record<string, string> | null };
export interface RecordDocument {
  _id: string;
  kind: PartnerRecord['kind'];
  accountId: string;
  environment: PartnerRecord['environment'];
  recordId: string;
  data: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}
/** `_id` is the refresh token's storage id. */
/** A rate-limit counter; the TTL index removes it once its window has ended. */
export interface CounterDocument { _id: string; count: number; resetAt: Date }
/** One credentials change (adapters/mongodb/credentials.ts): append-only, kept a day by a TTL index. */
export interface CredentialChangeDocument { _id: string; at: Date }

export interface TombstoneDocument {
  _id: string;
  reason: GrantRevocationReason;
  at: Date;
  grantId: string;
  accountId: string | null;
  clientId: string | null;
  expiresAt: Date;
}
/** A webhook event (the outbox); `fannedOutAt` stays null until its deliveries exist. */
export interface OutboxEventDocument {
  _id: string;
  accountId: string;
  environment: Environment;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
  fannedOutAt: Date | null;
}
/** One event's delivery to one webhook; `leaseOwner`/`leaseUntil` are set while a worker holds it. */
export interface DeliveryDocument {
  _id: string;
  eventId: string;
  webhookId: string;
  accountId: string;
  environment: Environment;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Absent on deliveries attempted before they were kept. */
  lastRequest?: string | null;
  lastResponse?: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}
export type LeakReportDocument = Omit<LeakReport, 'id' | 'origin'> & { _id: string; origin: string | null };
/** One per applied schema version. */
export interface MigrationDocument { _id: number; name: string; appliedAt: Date }
/**
 * A lease (lease.ts): `migrate` (whoever holds it migrates) and `sweep` (whoever holds it sweeps).
 * `term` rises with every takeover; a lock written by the first release has neither term nor since.
 */
export interface LockDocument { _id: string; owner: string; expiresAt: Date; term?: number; since?: Date }

export const COLLECTIONS = {
  accounts: 'accounts',
  users: 'users',
  clients: 'clients',
  clientLogos: 'client_logos',
  secrets: 'secrets',
  apiKeys: 'api_keys',
  audit: 'audit_events',
  records: 'records',
  webhooks: 'webhooks',
  tombstones: 'refresh_tombstones',
  counters: 'counters',
  outbox: 'outbox_events',
  deliveries: 'webhook_deliveries',
  leakReports: 'leak_reports',
  credentialChanges: 'credential_changes',
  userTokens: 'user_tokens',
  mail: 'mail_outbox',
  invitations: 'invitations',
  migrations: 'schema_migrations',
  lock: 'schema_lock',
} as const;

/** The collection of one oidc-provider model. */
export const oidcCollectionName = (model: string) => `oidc_${model}`;
