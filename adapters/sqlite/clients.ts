// OAuth clients. The secret is stored only as its HMAC.
import type { ClientRecord, ClientStore } from '../contract.ts';
import { uniquely, type Database, type Row } from './database.ts';

function toClient(row: Row): ClientRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    type: String(row.type) as ClientRecord['type'],
    environment: String(row.environment) as ClientRecord['environment'],
    scopes: JSON.parse(String(row.scopes)) as string[],
    redirectUris: JSON.parse(String(row.redirect_uris)) as string[],
    authMethod: String(row.auth_method) as ClientRecord['authMethod'],
    secretHash: row.secret_hash === null ? undefined : String(row.secret_hash),
    jwks: row.jwks === null ? undefined : (JSON.parse(String(row.jwks)) as ClientRecord['jwks']),
    createdAt: new Date(Number(row.created_at)),
  };
}

export class SqliteClients implements ClientStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async createClient(client: ClientRecord): Promise<void> {
    uniquely('client', () => this.#db.sql(`
      INSERT INTO clients (id, account_id, name, type, environment, scopes, redirect_uris, auth_method,
        secret_hash, jwks, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    `).run(
      client.id, client.accountId, client.name, client.type, client.environment, JSON.stringify(client.scopes),
      JSON.stringify(client.redirectUris), client.authMethod, client.secretHash ?? null,
      client.jwks ? JSON.stringify(client.jwks) : null, client.createdAt.getTime(),
    ));
  }

  async findClient(id: string) {
    const row = this.#db.sql('SELECT * FROM clients WHERE id = ?').get(id) as Row | undefined;
    return row ? toClient(row) : undefined;
  }

  async listClients(accountId: string) {
    return (this.#db.sql('SELECT * FROM clients WHERE account_id = ? ORDER BY created_at').all(accountId) as Row[])
      .map(toClient);
  }
}
