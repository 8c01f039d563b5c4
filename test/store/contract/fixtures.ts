// Records the contract suites build on: accounts, clients, API keys and audit events.
import type { ApiKeyRecord, AuditEvent, ClientRecord, ClientSecretRecord, Store } from '../../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';

export const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;
/** Now, to the second: every store keeps at least millisecond precision, and equal dates compare equal. */
export const second = (offsetMs = 0) => new Date(Math.floor(Date.now() / 1000) * 1000 + offsetMs);

/** A new account with its owner; returns both ids. */
export async function newAccount(store: Store, name = 'Partner'): Promise<{ accountId: string; userId: string }> {
  const accountId = id('acct');
  const userId = id('user');
  await store.createAccount({ id: accountId, name, createdAt: new Date() },
    { id: userId, accountId, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
  return { accountId, userId };
}

export function secretRecord(overrides: Partial<ClientSecretRecord> = {}): ClientSecretRecord {
  return {
    id: generateSortableId('cs'), hash: randomBase62(43), last4: randomBase62(4), createdAt: second(),
    expiresAt: undefined, revokedAt: undefined, revokedReason: undefined, ...overrides,
  };
}

/** A web client with one secret; every optional field set, so that a round trip shows each. */
export function newClient(accountId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  const secret = secretRecord();
  return {
    id: id('client'), accountId, name: 'Sync', type: 'web', environment: 'live', scopes: ['read:contacts', 'offline_access'],
    redirectUris: ['https://app.example/cb'], postLogoutRedirectUris: ['https://app.example/signed-out'], authMethod: 'client_secret_basic', secretHash: secret.hash, secrets: [secret],
    jwks: undefined, homepageUrl: 'https://app.example/', logoDigest: undefined, resource: undefined, createdBy: 'user:user_x',
    createdAt: second(), updatedAt: second(), revision: 1, ...overrides,
  };
}

export function newApiKey(accountId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: id('key'), accountId, environment: 'test', name: 'CI', scopes: ['read:contacts'], hash: randomBase62(43),
    prefix: 'sk_test_', last4: 'abcd', createdBy: 'cli', createdAt: second(), expiresAt: undefined, revokedAt: undefined,
    revokedReason: undefined, replacedBy: undefined, replaces: undefined, lastUsedAt: undefined, grantId: undefined, ...overrides,
  };
}

export function auditEvent(accountId: string, action: string, targetId: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return { id: generateSortableId('evt'), accountId, actor: 'cli', action, targetId, reason: undefined, at: second(), ...overrides };
}
