// What the management routers (/v1/api-keys, /v1/clients) share beyond the authority module (who
// may act is server/authority/'s answer): the environment a create goes to, a page of what the
// caller reaches, and the small body readers.
import type { Context } from 'koa';
import type { Environment } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import type { Manager } from '../authority/identify.ts';
import { readJson } from '../http/json.ts';

/** The environment a create names, or the manager's only one; refused outside the manager's. */
export function environmentToCreate(manager: Manager, named: string | undefined, what: string): string {
  const environment = named ?? (manager.environments.length === 1 ? manager.environments[0] : undefined);
  if (!environment) throw invalid('environment', 'environment is required: test or live');
  if (!manager.environments.includes(environment as Environment) && (environment === 'test' || environment === 'live')) {
    throw new LatchkeyError('forbidden', `a ${manager.environments.join('/')} credential cannot create ${environment} ${what}`, { field: 'environment' });
  }
  return environment;
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

export function invalid(field: string, message: string): LatchkeyError {
  return new LatchkeyError('validation_failed', message, { field });
}

/** A JSON body when one was sent (roll, revoke and rotate take an optional body), else {}. */
export async function optionalJson(ctx: Context): Promise<Record<string, unknown>> {
  const hasBody = Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
  return hasBody ? readJson(ctx) : {};
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
  return value;
}

export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) throw invalid(field, `${field}: unknown field; allowed: ${allowed.join(', ')}`);
  }
}
