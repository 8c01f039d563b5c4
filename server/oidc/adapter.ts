// Bridges oidc-provider's adapter interface to our Store. Clients come from the client repository;
// every other model goes to the generic OIDC model store.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { ClientRecord, Store } from '../../adapters/contract.ts';
import { clientMetadata } from '../clients/metadata.ts';

const SPENT_MESSAGE: Record<string, string> = {
  RefreshToken: 'refresh token already used',
  AuthorizationCode: 'authorization code already used',
};

export function createAdapterClass(store: Store) {
  return class StoreAdapter implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are created with the latchkey CLI, not by oidc-provider');
      await store.oidc.upsert(this.name, id, payload, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') {
        const client: ClientRecord | undefined = await store.findClient(id);
        return client ? clientMetadata(client) : undefined;
      }
      return (await store.oidc.find(this.name, id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await store.oidc.findByUid(this.name, uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.oidc.findByUserCode(this.name, userCode));
    }

    /**
     * oidc-provider checks `consumed` and then consumes, which two concurrent requests can both
     * pass. The store's consume is conditional: the loser lands here, is treated exactly like a
     * replay (the whole grant is revoked) and gets invalid_grant.
     */
    async consume(id: string): Promise<void> {
      if (await store.oidc.consume(this.name, id)) return;
      const record = await store.oidc.find(this.name, id);
      if (typeof record?.grantId === 'string') await store.oidc.revokeByGrantId(record.grantId);
      throw new errors.InvalidGrant(SPENT_MESSAGE[this.name] ?? `${this.name} already used`);
    }

    async destroy(id: string): Promise<void> {
      await store.oidc.destroy(this.name, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidc.revokeByGrantId(grantId);
    }
  };
}
