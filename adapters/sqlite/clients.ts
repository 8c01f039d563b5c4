// OAuth clients. Secrets are stored only as their HMACs; a logo's bytes live in client_logos, apart
// from the row read on every token request.
import { keyDeathsPlan, keysOfClient } from '../cascades.ts';
import { checkRevision } from '../client-lifecycle.ts';
import type { AuditEvent, ClientLogo, ClientRecord, ClientSecretRecord, ClientStore } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { revokeKeys, writePlan } from './cascades.ts';
import { date, text, uniquely, type Database, type Row } from './database.ts';
import { markCredentialsChanged } from './credentials.ts';
import { SqliteGrants } from './grants.ts';
import { indexSecretHashes } from './leaks.ts';
import { clientWebhookEvents } from './outbox.ts';

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

const toStoredSecret = (s: ClientSecretRecord): StoredSecret => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: s.createdAt.getTime(), expiresAt: s.expiresAt?.getTime() ?? null,
  revokedAt: s.revokedAt?.getTime() ?? null, revokedReason: s.revokedReason ?? null,
});

const toSecret = (s: StoredSecret): ClientSecretRecord => ({
  id: s.id, hash: s.hash, last4: s.last4, createdAt: new Date(s.createdAt), expiresAt: date(s.expiresAt),
  revokedAt: date(s.revokedAt), revokedReason: text(s.revokedReason),
});

function toClient(row: Row): ClientRecord {
  const createdAt = new Date(Number(row.created_at));
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    type: String(row.type) as ClientRecord['type'],
    environment: String(row.environment) as ClientRecord['environment'],
    scopes: JSON.parse(String(row.scopes)) as string[],
    redirectUris: JSON.parse(String(row.redirect_uris)) as string[],
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
function mutableValues(client: ClientRecord) {
  return [
    client.name, client.type, client.environment, JSON.stringify(client.scopes), JSON.stringify(client.redirectUris),
    client.authMethod, client.secretHash ?? null, JSON.stringify(client.secrets.map(toStoredSecret)),
    client.jwks ? JSON.stringify(client.jwks) : null, client.homepageUrl ?? null, client.logoDigest ?? null,
    client.resource ?? null, client.updatedAt.getTime(), client.revision,
  ];
}
const MUTABLE_COLUMNS = ['name', 'type', 'environment', 'scopes', 'redirect_uris', 'auth_method', 'secret_hash', 'secrets',
  'jwks', 'homepage_url', 'logo_digest', 'resource', 'updated_at', 'revision'];

export class SqliteClients implements ClientStore {
  readonly #db: Database;
  readonly #grants: SqliteGrants;
  constructor(db: Database) {
    this.#db = db;
    this.#grants = new SqliteGrants(db);
  }

  async createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo): Promise<void> {
    uniquely('client', () => this.#db.transaction(() => {
      this.#db.sql(`
        INSERT INTO clients (id, account_id, created_by, created_at, ${MUTABLE_COLUMNS.join(', ')})
        VALUES (?, ?, ?, ?, ${MUTABLE_COLUMNS.map(() => '?').join(', ')})
      `).run(client.id, client.accountId, client.createdBy, client.createdAt.getTime(), ...mutableValues(client));
      if (logo) this.#putLogo(client.id, logo);
      indexSecretHashes(this.#db, client);
      if (event) insertAuditEvent(this.#db, event);
    }));
  }

  async findClient(id: string) {
    const row = this.#db.sql('SELECT * FROM clients WHERE id = ?').get(id) as Row | undefined;
    return row ? toClient(row) : undefined;
  }

  async listClients(accountId: string) {
    return (this.#db.sql('SELECT * FROM clients WHERE account_id = ? ORDER BY created_at, id').all(accountId) as Row[])
      .map(toClient);
  }

  // id, account, creator and creation time never change.
  async updateClient(next: ClientRecord, expectedRevision: number, event: AuditEvent, logo?: ClientLogo | null): Promise<boolean> {
    checkRevision(next, expectedRevision);
    return uniquely('client', () => this.#db.transaction(() => {
      const changed = this.#db.sql(`
        UPDATE clients SET ${MUTABLE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND revision = ?
      `).run(...mutableValues(next), next.id, expectedRevision).changes;
      if (this.#db.sql('SELECT 1 FROM clients WHERE id = ?').get(next.id)) markCredentialsChanged(this.#db);
      if (Number(changed) !== 1) return false;
      if (logo === null) this.#db.sql('DELETE FROM client_logos WHERE client_id = ?').run(next.id);
      else if (logo) this.#putLogo(next.id, logo);
      indexSecretHashes(this.#db, next);
      insertAuditEvent(this.#db, event);
      clientWebhookEvents(this.#db, event);
      return true;
    }));
  }

  /**
   * One transaction: the client's grants die through the grant revocation path (while the client row
   * still says whose they were, for their audit events), its keys are revoked, then it goes.
   */
  async deleteClient(id: string, event: AuditEvent): Promise<boolean> {
    return this.#db.transaction(() => {
      if (!this.#db.sql('SELECT 1 FROM clients WHERE id = ?').get(id)) return false;
      markCredentialsChanged(this.#db);
      const grants = this.#db.sql("SELECT id FROM oidc WHERE model = 'Grant' AND client_id = ?").all(id) as Row[];
      for (const grant of grants) {
        this.#grants.revoke(String(grant.id), { reason: 'client_deleted', actor: event.actor, at: event.at });
      }
      this.#revokeKeysCreatedBy(id, event);
      this.#db.sql('DELETE FROM client_logos WHERE client_id = ?').run(id);
      this.#db.sql('DELETE FROM clients WHERE id = ?').run(id);
      insertAuditEvent(this.#db, event);
      return true;
    });
  }

  async findClientLogo(clientId: string): Promise<ClientLogo | undefined> {
    const row = this.#db.sql('SELECT content_type, bytes FROM client_logos WHERE client_id = ?').get(clientId) as
      { content_type: string; bytes: Uint8Array } | undefined;
    return row ? { contentType: row.content_type as ClientLogo['contentType'], bytes: new Uint8Array(row.bytes) } : undefined;
  }

  #putLogo(clientId: string, logo: ClientLogo): void {
    this.#db.sql(`
      INSERT INTO client_logos (client_id, content_type, bytes) VALUES (?, ?, ?)
      ON CONFLICT (client_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes
    `).run(clientId, logo.contentType, logo.bytes);
  }

  /** The API keys the client made with its own credentials die with it, each with its own event. */
  #revokeKeysCreatedBy(clientId: string, event: AuditEvent): void {
    const lineage = keysOfClient(clientId);
    writePlan(this.#db, keyDeathsPlan(revokeKeys(this.#db, lineage, event.at), lineage, event.actor, event.at));
  }

}

