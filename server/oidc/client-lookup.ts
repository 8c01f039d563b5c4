// oidc-provider's Client.find reads the client's metadata through the adapter, then hashes all of it
// as JSON to find the Client object it built before: some 15 µs of every token, introspection and
// authorization request. Our clients come from the process's ClientCache, whose record for a client
// stays the same object until any credentials change drops it, so the Client object is remembered
// by that record and the adapter, the metadata and the hash are skipped while it lives.
import type Provider from 'oidc-provider';
import type { ClientRecord } from '../../adapters/contract.ts';
import type { ClientCache } from '../cache/clients.ts';

type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export function rememberClientsByRecord(provider: Provider, clients: ClientCache): void {
  const find = provider.Client.find.bind(provider.Client);
  const built = new WeakMap<ClientRecord, Client>();
  provider.Client.find = async function findByRecord(id: string) {
    if (typeof id !== 'string' || !id) return undefined; // as oidc-provider's own find
    const record = await clients.find(id);
    // Not one of ours. A client ID metadata document's URL (https only) goes oidc-provider's own
    // way; any other id is nobody's, and a second read through the adapter would find nothing either.
    if (!record) return id.startsWith('https://') ? find(id) : undefined;
    const known = built.get(record);
    if (known) return known;
    const client = await find(id);
    // Built from this record or, after a change meanwhile, a newer one: never an older one.
    if (client) built.set(record, client);
    return client;
  };
}
