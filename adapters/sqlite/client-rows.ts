// OAuth clients as rows of the embedded store and back: shared by the clients domain and the
// lineage cascade (lineage.ts), which disables clients inside another domain's transaction.
import type { ClientRecord, ClientSecretRecord } from '../contract.ts';
import { date, text, type Row } from './database.ts';

/** A secret as kept in the `secrets` JSON column: dates as epoch milliseconds, absent ones null. */
interface StoredSecret {
  id: string;
  hash: string;
  last4: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

export const toStoredSecret = (s: ClientSecretRecord): StoredSecret => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: s.createdAt.getTime(), expiresAt: s.expiresAt?.getTime() ?? null,
  revokedAt: s.revokedAt?.getTime() ?? null, revokedReason: s.revokedReason ?? null,
});

const toSecret = (s: StoredSecret): ClientSecretRecord => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: new Date(s.createdAt), expiresAt: date(s.expiresAt),
  revokedAt: date(s.revokedAt), revokedReason: text(s.revokedReason),
});

export function toClient(row: Row): ClientRecord {
  const createdAt = new Date(Number(row.created_at));
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    type: String(row.type) as ClientRecord['type'],
    environment: String(row.environment) as ClientRecord['environment'],
    scopes: JSON.parse(String(row.scopes)) as string[],
    redirectUris: JSON.parse(String(row.redirect_uris)) as string[],
    postLogoutRedirectUris: JSON.parse(String(row.post_logout_redirect_uris ?? '[]')) as string[],
    authMethod: String(row.auth_method) as ClientRecord['authMethod'],
    secretHash: text(row.secret_hash),
    secrets: (JSON.parse(String(row.secrets ?? '[]')) as StoredSecret[]).map(toSecret),
    jwks: row.jwks === null ? undefined : (JSON.parse(String(row.jwks)) as ClientRecord['jwks']),
    homepageUrl: text(row.homepage_url),
    logoDigest: text(row.logo_digest),
    resource: text(row.resource),
    createdBy: String(row.created_by ?? 'cli'),
    createdAt,
    updatedAt: date(row.updated_at) ?? createdAt,
    revision: Number(row.revision ?? 1),
  };
}

/** The columns a change may rewrite, in the order of MUTABLE_COLUMNS. */
export function mutableValues(client: ClientRecord) {
  return [
    client.name, client.type, client.environment, JSON.stringify(client.scopes), JSON.stringify(client.redirectUris),
    client.authMethod, client.secretHash ?? null, JSON.stringify(client.secrets.map(toStoredSecret)),
    client.jwks ? JSON.stringify(client.jwks) : null, client.homepageUrl ?? null, client.logoDigest ?? null,
    client.resource ?? null, client.updatedAt.getTime(), client.revision, JSON.stringify(client.postLogoutRedirectUris),
  ];
}
export const MUTABLE_COLUMNS = ['name', 'type', 'environment', 'scopes', 'redirect_uris', 'auth_method', 'secret_hash', 'secrets',
  'jwks', 'homepage_url', 'logo_digest', 'resource', 'updated_at', 'revision', 'post_logout_redirect_uris'];

