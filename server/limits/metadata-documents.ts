// Client ID metadata documents make Latchkey fetch a URL anyone names: each fetch (a document not
// in the cache) is counted per network address per hour, in the store so every instance shares the
// count, and refused over LIMITS.metadataDocumentFetchesPerAddress, so that nobody can use the
// server to send requests at a third party in bulk.
import type { CounterStore } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey, secondsUntil } from './failures.ts';

const HOUR = 3600;

/** Counts one fetch for the address; the seconds to wait when it is over the limit, else undefined. */
export function metadataFetchLimit(counters: Pick<CounterStore, 'hitCounter'>) {
  return async function countFetch(address: string): Promise<number | undefined> {
    const counted = await counters.hitCounter(limitKey('metadata-fetch:source', addressKey(address)), HOUR);
    return counted.count > LIMITS.metadataDocumentFetchesPerAddress ? secondsUntil(counted.resetAt.getTime()) : undefined;
  };
}
