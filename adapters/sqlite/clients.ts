// OAuth clients. Secrets are stored only as their HMACs; a logo's bytes live in client_logos, apart
// from the row read on every token request.
import { checkRevision } from '../client-lifecycle.ts';
import type { AuditEvent, ClientLogo, ClientRecord, ClientStore } from '../contract.ts';
import { insertAuditEvent } from './audit.ts';
import { assertCreatorLive, endCreations } from './lineage.ts';
import { uniquely, type Database, type Row } from './database.ts';
import { markCredentialsChanged } from './credentials.ts';
import { SqliteGrants } from './grants.ts';
import { indexSecretHashes } from './leaks.ts';
import { clientWebhookEvents } from './outbox.ts';
import { MUTABLE_COLUMNS, mutableValues, toClient } from './client-rows.ts';

export class SqliteClients implements ClientStore {
  readonly #db: Database;
  readonly #grants: SqliteGrants;
  constructor(db: Database) {
    this.#db = db;
    this.#grants = new SqliteGrants(db);
  }

  async createClient(client: ClientRecord, event: AuditEvent | undefined, logo?: ClientLogo): Promise<void> {
    uniquely('client', () => this.#db.transaction(() => {
      assertCreatorLive(this.#db, client.createdBy, undefined, new Date());
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
      endCreations(this.#db, { kind: 'client', id }, event.actor, event.at);
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


}

