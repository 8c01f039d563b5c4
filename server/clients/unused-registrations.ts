// Open registration lets anyone make a client: one that no user ever authorized is deleted
// LIFETIMES.unusedRegistration after it registered, so abandoned or scripted registrations do not
// pile up. A client is "used" once a grant is saved for it (server/oidc/adapter.ts marks it).
import type { Store } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { isRegisteredOpenly } from '../../config/registration.ts';
import { forgetAgent } from '../agents/registry.ts';
import { OPERATOR_ACCOUNT_ID } from './resource-servers.ts';
import { deleteClient } from './service.ts';

/** The expiring record that says an openly registered client was authorized by a user. */
export const CLIENT_USED_MODEL = 'RegisteredClientUsed';

/** Deletes the openly registered clients older than the bound that no user authorized; how many went. */
export async function removeUnusedRegistrations(store: Store, now = new Date()): Promise<number> {
  const cutoff = now.getTime() - LIFETIMES.unusedRegistration * 1000;
  let removed = 0;
  for (const client of await store.listClients(OPERATOR_ACCOUNT_ID)) {
    if (!isRegisteredOpenly(client) || client.createdAt.getTime() > cutoff) continue;
    if (await store.oidc.find(CLIENT_USED_MODEL, client.id)) continue;
    // Another instance may have deleted it a moment ago: that is the same outcome.
    await deleteClient(store, client, 'system').then(() => { removed += 1; }, () => undefined);
    await forgetAgent(store, client.id);
  }
  return removed;
}
