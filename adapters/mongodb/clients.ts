// OAuth clients registered by partners (not oidc-provider's own Client model).
import type { ClientRecord, ClientStore } from '../contract.ts';
import { guard, uniquely, type ClientDocument, type Connection } from './connection.ts';

export class MongoClients implements ClientStore {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async createClient(client: ClientRecord): Promise<void> {
    const { id, secretHash, jwks, ...rest } = client;
    const doc: ClientDocument = { ...rest, _id: id, scopes: [...client.scopes], redirectUris: [...client.redirectUris] };
    // Absent rather than null: the unique secretHash index is partial on strings.
    if (secretHash) doc.secretHash = secretHash;
    if (jwks) doc.jwks = jwks;
    await uniquely('client', () => guard(() => this.#connection.clients().insertOne(doc)));
  }

  async findClient(id: string) {
    const doc = await guard(() => this.#connection.clients().findOne({ _id: id }));
    return doc ? toClient(doc) : undefined;
  }

  async listClients(accountId: string) {
    return (await guard(() => this.#connection.clients().find({ accountId }).sort({ createdAt: 1 }).toArray())).map(toClient);
  }
}

function toClient(doc: ClientDocument): ClientRecord {
  const { _id, secretHash, jwks, ...rest } = doc;
  return { ...rest, id: _id, secretHash, jwks };
}
