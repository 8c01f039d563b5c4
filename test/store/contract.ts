// The storage contract suite: written once, run against every store (see contract.test.ts), one
// file per domain under contract/.
import { expect } from 'chai';
import type { Store } from '../../adapters/contract.ts';
import { accountContract } from './contract/accounts.ts';
import { apiKeyContract } from './contract/api-keys.ts';
import { clientDeletionContract } from './contract/client-deletion.ts';
import { clientContract } from './contract/clients.ts';
import { counterContract } from './contract/counters.ts';
import { credentialsGenerationContract } from './contract/credentials-generation.ts';
import { grantContract } from './contract/grants.ts';
import { leakContract } from './contract/leaks.ts';
import { oidcModelContract } from './contract/oidc.ts';
import { outboxContract } from './contract/outbox.ts';
import { teamContract } from './contract/teams.ts';
import { userChangeContract } from './contract/user-changes.ts';
import { webhookEventContract } from './contract/webhook-events.ts';

export interface ContractOptions {
  /** The schema version the store must reach when opened. */
  schemaVersion: number;
}

export function storeContract(open: () => Promise<Store>, close: (store: Store) => Promise<void>, options: ContractOptions): void {
  let store: Store;
  before(async () => { store = await open(); });
  after(() => close(store));
  const current = () => store;

  describe('schema', () => {
    it('is at the newest version, and opening it again changes nothing', async () => {
      expect(await store.schemaVersion()).to.equal(options.schemaVersion);
      const again = await open();
      try {
        expect(await again.schemaVersion()).to.equal(options.schemaVersion);
      } finally {
        await again.close();
      }
    });
  });

  oidcModelContract(current);
  grantContract(current);
  accountContract(current);
  teamContract(current);
  userChangeContract(current);
  clientContract(current);
  clientDeletionContract(current);
  apiKeyContract(current);
  counterContract(current);
  webhookEventContract(current);
  outboxContract(current);
  leakContract(current);
  credentialsGenerationContract(current);
}
