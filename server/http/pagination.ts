// List pages: `limit` (1 to LIMITS.pageSizeMax, default LIMITS.pageSizeDefault) and the cursor
// `starting_after` (an id from the previous page); answers carry `has_more` and, when true,
// `next_starting_after`, as the Partner API's lists do.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';

export interface PageRequest {
  readonly limit: number;
  readonly startingAfter: string | undefined;
}

export interface PageSizes {
  readonly defaultSize: number;
  readonly maxSize: number;
}

const KEY_LIST_SIZES: PageSizes = { defaultSize: LIMITS.pageSizeDefault, maxSize: LIMITS.pageSizeMax };

export function pageRequest(ctx: Context, sizes: PageSizes = KEY_LIST_SIZES): PageRequest {
  const { limit, starting_after: after } = ctx.query;
  if (Array.isArray(limit) || Array.isArray(after)) throw new LatchkeyError('validation_failed', 'a query parameter appears twice');
  const n = limit === undefined ? sizes.defaultSize : Number(limit);
  if ((limit !== undefined && !/^\d{1,4}$/.test(limit)) || n < 1 || n > sizes.maxSize) {
    throw new LatchkeyError('validation_failed', `limit must be an integer from 1 to ${sizes.maxSize}`, { field: 'limit' });
  }
  if (after !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(after)) {
    throw new LatchkeyError('validation_failed', 'starting_after must be an id from the previous page', { field: 'starting_after' });
  }
  return { limit: n, startingAfter: after };
}

/** The list body for `fetched` (asked for one more than `limit`, to know whether more exist). */
export function listBody<T, U extends { id: string }>(fetched: readonly T[], limit: number, present: (item: T) => U) {
  const data = fetched.slice(0, limit).map(present);
  const hasMore = fetched.length > limit;
  return { object: 'list', data, has_more: hasMore, ...(hasMore ? { next_starting_after: data.at(-1)!.id } : {}) };
}

/**
 * Up to `limit + 1` items after `startingAfter` that `keep` allows (listBody's input): pages of the
 * store are read until enough are kept or none are left, so a filtered page still says rightly
 * whether more follow.
 */
export async function reachablePage<T extends { id: string }>(
  fetch: (after: string | undefined, limit: number) => Promise<T[]>, keep: (item: T) => boolean, limit: number, startingAfter: string | undefined,
): Promise<T[]> {
  const kept: T[] = [];
  let after = startingAfter;
  for (;;) {
    const batch = await fetch(after, limit + 1);
    kept.push(...batch.filter(keep));
    if (kept.length > limit || batch.length < limit + 1) return kept.slice(0, limit + 1);
    after = batch.at(-1)!.id;
  }
}
