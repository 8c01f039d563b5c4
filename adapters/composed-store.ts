// What both stores share: the Store contract composed from one object per domain, so each store
// keeps one file per domain and this delegation is written once.
import { CREDENTIALS_POLL_INTERVAL_MS, type CredentialsListeners } from './credentials-changes.ts';
import type {
  NewAccount, AccountStore, ApiKeyRecord, ApiKeyStore, AuditEvent, ClientLogo, ClientRecord, ClientStore, CounterStore, KeyPage,
  OidcModelStore, SchemaReport, BackupSummary, AccountsAlong, MailStore, NewUser, UserChange, UserTokenPurpose,
  AttemptOutcome, LeakReport, LeakStore, OutboxEvent, OutboxStore, PartitionKey, PartnerDataStore, PartnerRecord, RecordKind, RecordsAlong,
  SecretStore, Store, TeamStore, AccountPolicy, Invitation, AuditFilter, WebhookStore, WebhookPlace,
} from './contract.ts';
import type { Role } from '../config/roles.ts';

export interface StoreDomains {
  readonly accounts: AccountStore;
  readonly teams: TeamStore;
  readonly clients: ClientStore;
  readonly apiKeys: ApiKeyStore;
  readonly records: PartnerDataStore;
  readonly webhooks: WebhookStore;
  readonly secrets: SecretStore;
  readonly counters: CounterStore;
  readonly outbox: OutboxStore;
  readonly leaks: LeakStore;
  readonly mail: MailStore;
}

/** Past one poll interval, time for the poll's own read. */
const SETTLE_MS = CREDENTIALS_POLL_INTERVAL_MS + 250;

export abstract class ComposedStore implements Store {
  abstract readonly kind: Store['kind'];
  abstract readonly description: string;
  abstract readonly schemaReport: SchemaReport;
  abstract readonly oidc: OidcModelStore;
  readonly #d: StoreDomains;

  readonly #credentials: CredentialsListeners;

  /** `credentials`: the listeners the store's domains tell after each committed credentials change. */
  constructor(domains: StoreDomains, credentials: CredentialsListeners) {
    this.#d = domains;
    this.#credentials = credentials;
  }

  onCredentialsChange(listener: () => void): () => void {
    return this.#credentials.add(listener);
  }

  abstract credentialsGeneration(): Promise<string>;

  /**
   * First waits until every running instance has polled since this object's last credentials
   * change, so a CLI command that revoked returns once the revocation holds everywhere; then closes.
   */
  async close(): Promise<void> {
    const wait = this.#credentials.lastChangeAt + SETTLE_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await this.closeConnection();
  }

  /** Closes the store's own connection or file. */
  protected abstract closeConnection(): Promise<void>;

  abstract ping(): Promise<void>;
  abstract schemaVersion(): Promise<number>;
  abstract sweepExpired(): Promise<number>;
  /** Not counted, unless the store says otherwise (the embedded store does). */
  commits(): number | undefined {
    return undefined;
  }

  syncs(): number | undefined {
    return undefined;
  }
  abstract backupTo(file: string): Promise<BackupSummary>;

  createAccount(account: NewAccount, owner: NewUser, along?: AccountsAlong) { return this.#d.accounts.createAccount(account, owner, along); }
  findAccount(id: string) { return this.#d.accounts.findAccount(id); }
  createUser(user: NewUser) { return this.#d.accounts.createUser(user); }
  findUser(id: string) { return this.#d.accounts.findUser(id); }
  findUserByEmail(email: string) { return this.#d.accounts.findUserByEmail(email); }
  listUsersWithTwoFactor(page: { limit: number; after?: string | undefined }) { return this.#d.accounts.listUsersWithTwoFactor(page); }
  updateUser(userId: string, change: UserChange, along?: AccountsAlong) { return this.#d.accounts.updateUser(userId, change, along); }
  writeAlong(along: AccountsAlong) { return this.#d.accounts.writeAlong(along); }
  findUserToken(hash: string, purpose: UserTokenPurpose) { return this.#d.accounts.findUserToken(hash, purpose); }
  useUserToken(hash: string, purpose: UserTokenPurpose, change: UserChange, along?: AccountsAlong) {
    return this.#d.accounts.useUserToken(hash, purpose, change, along);
  }

  listMembers(accountId: string) { return this.#d.teams.listMembers(accountId); }
  changeRole(accountId: string, userId: string, role: Role, along: AccountsAlong) { return this.#d.teams.changeRole(accountId, userId, role, along); }
  removeMember(accountId: string, userId: string, along: AccountsAlong) { return this.#d.teams.removeMember(accountId, userId, along); }
  setPolicy(accountId: string, policy: AccountPolicy, event: AuditEvent) { return this.#d.teams.setPolicy(accountId, policy, event); }
  createInvitation(invitation: Invitation, along: AccountsAlong) { return this.#d.teams.createInvitation(invitation, along); }
  findInvitation(id: string) { return this.#d.teams.findInvitation(id); }
  findInvitationByHash(tokenHash: string) { return this.#d.teams.findInvitationByHash(tokenHash); }
  listInvitations(accountId: string) { return this.#d.teams.listInvitations(accountId); }
  revokeInvitation(id: string, at: Date, event: AuditEvent) { return this.#d.teams.revokeInvitation(id, at, event); }
  renewInvitation(id: string, tokenHash: string, expiresAt: Date, along: AccountsAlong) { return this.#d.teams.renewInvitation(id, tokenHash, expiresAt, along); }
  acceptInvitation(id: string, user: NewUser, at: Date, along: AccountsAlong) { return this.#d.teams.acceptInvitation(id, user, at, along); }

  claimMails(owner: string, now: Date, limit: number, leaseSeconds: number) { return this.#d.mail.claimMails(owner, now, limit, leaseSeconds); }
  finishMail(id: string, owner: string, outcome: Parameters<MailStore['finishMail']>[2]) { return this.#d.mail.finishMail(id, owner, outcome); }
  listMails(limit: number) { return this.#d.mail.listMails(limit); }
  listPendingMails(page: Parameters<MailStore['listPendingMails']>[0]) { return this.#d.mail.listPendingMails(page); }
  resealMail(id: string, expected: string, sealed: string) { return this.#d.mail.resealMail(id, expected, sealed); }

  createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo) { return this.#d.clients.createClient(client, event, logo); }
  findClient(id: string) { return this.#d.clients.findClient(id); }
  listClients(accountId: string) { return this.#d.clients.listClients(accountId); }
  updateClient(next: ClientRecord, expectedRevision: number, event: AuditEvent, logo?: ClientLogo | null) {
    return this.#d.clients.updateClient(next, expectedRevision, event, logo);
  }
  deleteClient(id: string, event: AuditEvent) { return this.#d.clients.deleteClient(id, event); }
  findClientLogo(clientId: string) { return this.#d.clients.findClientLogo(clientId); }

  createApiKey(key: ApiKeyRecord, event: AuditEvent) { return this.#d.apiKeys.createApiKey(key, event); }
  findApiKey(id: string) { return this.#d.apiKeys.findApiKey(id); }
  findApiKeyByHash(hash: string) { return this.#d.apiKeys.findApiKeyByHash(hash); }
  rehashApiKey(id: string, from: string, to: string) { return this.#d.apiKeys.rehashApiKey(id, from, to); }
  countApiKeyHashesByPepper() { return this.#d.apiKeys.countApiKeyHashesByPepper(); }
  listApiKeys(accountId: string, page?: KeyPage) { return this.#d.apiKeys.listApiKeys(accountId, page); }
  countLiveApiKeys(accountId: string, now: Date) { return this.#d.apiKeys.countLiveApiKeys(accountId, now); }
  rollApiKey(oldId: string, oldExpiresAt: Date, replacement: ApiKeyRecord, event: AuditEvent) {
    return this.#d.apiKeys.rollApiKey(oldId, oldExpiresAt, replacement, event);
  }
  revokeApiKey(id: string, at: Date, reason: string, event: AuditEvent) {
    return this.#d.apiKeys.revokeApiKey(id, at, reason, event);
  }
  touchApiKey(id: string, at: Date) { return this.#d.apiKeys.touchApiKey(id, at); }
  listAuditEvents(accountId: string, limit: number, before?: string, filter?: AuditFilter) {
    return this.#d.apiKeys.listAuditEvents(accountId, limit, before, filter);
  }
  recordAuditEvent(event: AuditEvent) { return this.#d.apiKeys.recordAuditEvent(event); }
  listTargetEvents(accountId: string, targetId: string, page: { limit: number; before?: string | undefined }) {
    return this.#d.apiKeys.listTargetEvents(accountId, targetId, page);
  }

  insertRecord(record: PartnerRecord, along?: RecordsAlong) { return this.#d.records.insertRecord(record, along); }
  findRecord(p: PartitionKey, id: string) { return this.#d.records.findRecord(p, id); }
  updateRecord(p: PartitionKey, id: string, data: Record<string, unknown>, at: Date, along?: RecordsAlong) {
    return this.#d.records.updateRecord(p, id, data, at, along);
  }
  deleteRecord(p: PartitionKey, id: string, along?: RecordsAlong) { return this.#d.records.deleteRecord(p, id, along); }
  listRecords(p: PartitionKey, page: { limit: number; after?: string | undefined }) { return this.#d.records.listRecords(p, page); }
  listAllRecords(kind: RecordKind, page: { limit: number; after?: string | undefined }) { return this.#d.records.listAllRecords(kind, page); }

  getOrCreateSecret(name: string, candidate: string) { return this.#d.secrets.getOrCreateSecret(name, candidate); }
  findSecret(name: string) { return this.#d.secrets.findSecret(name); }
  replaceSecret(name: string, expected: string | undefined, value: string) { return this.#d.secrets.replaceSecret(name, expected, value); }

  hitCounter(key: string, windowSeconds: number) { return this.#d.counters.hitCounter(key, windowSeconds); }
  readCounter(key: string) { return this.#d.counters.readCounter(key); }
  resetCounter(key: string) { return this.#d.counters.resetCounter(key); }

  enqueueEvent(event: OutboxEvent) { return this.#d.outbox.enqueueEvent(event); }
  fanOutEvents(limit: number, now: Date) { return this.#d.outbox.fanOutEvents(limit, now); }
  claimDeliveries(owner: string, now: Date, leaseUntil: Date, limit: number) { return this.#d.outbox.claimDeliveries(owner, now, leaseUntil, limit); }
  recordAttempt(deliveryId: string, owner: string, outcome: AttemptOutcome) { return this.#d.outbox.recordAttempt(deliveryId, owner, outcome); }
  insertWebhook(webhook: PartnerRecord) { return this.#d.webhooks.insertWebhook(webhook); }
  findWebhook(place: WebhookPlace, id: string) { return this.#d.webhooks.findWebhook(place, id); }
  listWebhooks(place: WebhookPlace, page: { limit: number; after?: string | undefined }) { return this.#d.webhooks.listWebhooks(place, page); }
  listAllWebhooks(page: { limit: number; after?: string | undefined }) { return this.#d.webhooks.listAllWebhooks(page); }
  updateWebhook(place: WebhookPlace, id: string, data: Record<string, unknown>, at: Date) { return this.#d.webhooks.updateWebhook(place, id, data, at); }
  deleteWebhook(place: WebhookPlace, id: string) { return this.#d.webhooks.deleteWebhook(place, id); }
  redeliver(accountId: string, webhookId: string, deliveryId: string, now: Date) { return this.#d.outbox.redeliver(accountId, webhookId, deliveryId, now); }
  listDeliveries(accountId: string, webhookId: string, page: { limit: number; before?: string | undefined }) {
    return this.#d.outbox.listDeliveries(accountId, webhookId, page);
  }

  countClientSecretHashesByPepper(now: Date) { return this.#d.leaks.countClientSecretHashesByPepper(now); }
  findClientBySecretHash(hash: string) { return this.#d.leaks.findClientBySecretHash(hash); }
  recordLeakReport(report: LeakReport) { return this.#d.leaks.recordLeakReport(report); }
}
