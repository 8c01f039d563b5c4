// The API key lifecycle: create, list, get, roll (with an overlap), revoke. Every change is an
// audit event. The full key exists only in the return value of create and roll.
import type { ApiKeyRecord, AuditEvent, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { humanDuration } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { generateApiKey, parseApiKey } from '../http/api-key-format.ts';
import { checkEnvironment, checkExpiry, checkName, checkReason, checkScopes } from './input.ts';
import { checkScopesWithin, earliest, NO_LIMITS, type KeyLimits } from './limits.ts';

export { checkReason, parseOverlap } from './input.ts';

/** Who acts: `user:<id>`, `client:<id>`, `api_key:<id>`, `cli` or `system`. */
export type Actor = string;

export interface CreateKeyInput {
  accountId: string;
  environment: string;
  scopes: string | readonly string[];
  name?: string | undefined;
  /** ISO 8601 date-time in the future, or undefined for no expiry. */
  expiresAt?: string | undefined;
  actor: Actor;
  /** The creating credential's reach (see limits.ts); none for a signed-in user or the CLI. */
  limits?: KeyLimits;
  /** Live keys the account may hold: settings.apiKeysPerAccount where the server runs. */
  maxLiveKeys?: number;
}

function auditEvent(
  key: { id: string; accountId: string }, actor: Actor, action: string, at: Date, reason?: string, detail?: Record<string, string>,
): AuditEvent {
  return { id: generateSortableId('evt'), accountId: key.accountId, actor, action, targetId: key.id, reason, at, ...(detail ? { detail } : {}) };
}

function newRecord(pepper: Pepper, fields: Omit<ApiKeyRecord, 'hash' | 'prefix' | 'last4' | 'revokedAt' | 'revokedReason' | 'replacedBy' | 'lastUsedAt'>): { record: ApiKeyRecord; key: string } {
  const key = generateApiKey(fields.environment);
  const { hint } = parseApiKey(key)!;
  return {
    key,
    record: {
      ...fields, hash: pepper.hash(key), prefix: hint.prefix, last4: hint.last4,
      revokedAt: undefined, revokedReason: undefined, replacedBy: undefined, lastUsedAt: undefined,
    },
  };
}

export async function createKey(store: Store, pepper: Pepper, input: CreateKeyInput): Promise<{ record: ApiKeyRecord; key: string }> {
  if (!await store.findAccount(input.accountId)) throw new LatchkeyError('validation_failed', `no account "${input.accountId}"`, { field: 'account' });
  const now = new Date();
  const limits = input.limits ?? NO_LIMITS;
  const scopes = checkScopes(input.scopes);
  checkScopesWithin(scopes, limits);
  const created = newRecord(pepper, {
    id: generateSortableId('key'),
    accountId: input.accountId,
    environment: checkEnvironment(input.environment),
    name: checkName(input.name),
    scopes,
    createdBy: input.actor,
    createdAt: now,
    expiresAt: earliest(checkExpiry(input.expiresAt, now), limits.expiresBy),
    replaces: undefined,
    grantId: limits.grantId,
  });
  // After the input is checked, so a bad request hears what is wrong with it.
  await checkRoomFor(store, input.accountId, now, input.maxLiveKeys, 'revoke keys it no longer uses, then create this one');
  await store.createApiKey(created.record, auditEvent(created.record, input.actor, 'api_key.created', now));
  return created;
}

/** limit_reached when the account already holds its most live keys (active, or rolled and in their overlap). */
async function checkRoomFor(store: Store, accountId: string, now: Date, max: number = LIMITS.apiKeysPerAccount, what = ''): Promise<void> {
  if (await store.countLiveApiKeys(accountId, now) < max) return;
  throw new LatchkeyError('limit_reached', `this account holds ${max} live API keys, the most it may; ${what}`, {
    details: { limit: String(max) },
  });
}

/** The key, if it exists and belongs to the account; otherwise not_found (never "exists elsewhere"). */
export const keyNotFound = (id: string) => new LatchkeyError('not_found', `no API key "${id}"`);

export async function getKey(store: Store, accountId: string, id: string): Promise<ApiKeyRecord> {
  const key = await store.findApiKey(id);
  if (!key || key.accountId !== accountId) throw keyNotFound(id);
  return key;
}

export interface RollOptions {
  /** The roller's reach (see limits.ts); none for a signed-in user or the CLI. */
  readonly limits?: KeyLimits;
  /** Live keys the account may hold: a roll with an overlap adds one for that long. */
  readonly maxLiveKeys?: number;
}

/**
 * A new key now, with the same name, scopes, environment, expiry and grant; the old one keeps
 * working for `overlapSeconds`, then dies. The roller's limits apply as to a new key.
 */
export async function rollKey(
  store: Store, pepper: Pepper, old: ApiKeyRecord, overlapSeconds: number, actor: Actor, options: RollOptions = {},
): Promise<{ record: ApiKeyRecord; key: string; previous: ApiKeyRecord }> {
  const now = new Date();
  const limits = options.limits ?? NO_LIMITS;
  if (old.revokedAt) throw new LatchkeyError('conflict', 'a revoked key cannot be rolled; create a new one');
  if (old.replacedBy) throw new LatchkeyError('conflict', `this key was already rolled; roll its successor ${old.replacedBy}`);
  if (old.expiresAt && old.expiresAt <= now) throw new LatchkeyError('conflict', 'an expired key cannot be rolled; create a new one');
  checkScopesWithin(old.scopes, limits);
  // A key bound to one app's grant cannot be moved under another's: the successor would outlive
  // the roller's grant (it dies with the old key's), so only that app, or the portal, rolls it.
  if (old.grantId && limits.grantId && old.grantId !== limits.grantId) {
    throw new LatchkeyError('forbidden', 'this key was created through another app a user connected; only that app, '
      + 'or a signed-in user in the portal, can roll it');
  }
  if (overlapSeconds > 0) {
    await checkRoomFor(store, old.accountId, now, options.maxLiveKeys, 'roll with an overlap of 0, or revoke keys it no longer uses');
  }
  const created = newRecord(pepper, {
    id: generateSortableId('key'), accountId: old.accountId, environment: old.environment, name: old.name, scopes: old.scopes,
    createdBy: actor, createdAt: now, expiresAt: earliest(old.expiresAt, limits.expiresBy), replaces: old.id,
    grantId: old.grantId ?? limits.grantId,
  });
  const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
  const reason = `rolled with an overlap of ${overlapSeconds === 0 ? 'none' : humanDuration(overlapSeconds)}`;
  const rolled = await store.rollApiKey(old.id, overlapEnd, created.record, auditEvent(old, actor, 'api_key.rolled', now, reason));
  if (!rolled) throw new LatchkeyError('conflict', 'the key was revoked or rolled meanwhile');
  return { ...created, previous: (await store.findApiKey(old.id))! };
}

/**
 * Revokes the key, and (in the store's same transaction, adapters/cascades.ts) every live key it
 * created and they created: a credential never mints a key that outlives it, so whoever held a
 * leaked key keeps nothing it made with it. `detail`: facts for the audit trail (a leak report's URL).
 */
export async function revokeKey(
  store: Store, key: ApiKeyRecord, reason: string, actor: Actor, detail?: Record<string, string>,
): Promise<ApiKeyRecord> {
  const why = checkReason(reason);
  const now = new Date();
  // A dead key cannot be revoked again, and nothing cascades from it: tidying up an old rolled key
  // never touches the live key that replaced it.
  if (keyStatus(key, now) === 'expired') {
    throw new LatchkeyError('conflict', 'the key no longer works (expired, or rolled and past its overlap): there is nothing to revoke');
  }
  if (!await store.revokeApiKey(key.id, now, why, auditEvent(key, actor, 'api_key.revoked', now, why, detail))) {
    throw new LatchkeyError('conflict', 'the key is already revoked');
  }
  return (await store.findApiKey(key.id))!;
}

export type KeyStatus = 'active' | 'rolled' | 'expired' | 'revoked';

export function keyStatus(key: ApiKeyRecord, now = new Date()): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return key.replacedBy ? 'rolled' : 'active';
}

/** What the API and the CLI show of a key: metadata only, never the key or its hash. */
export function presentKey(key: ApiKeyRecord) {
  const iso = (d: Date | undefined) => d?.toISOString() ?? null;
  return {
    id: key.id,
    object: 'api_key',
    name: key.name,
    environment: key.environment,
    scopes: [...key.scopes],
    hint: `${key.prefix}…${key.last4}`,
    status: keyStatus(key),
    created_at: iso(key.createdAt),
    created_by: key.createdBy,
    expires_at: iso(key.expiresAt),
    last_used_at: iso(key.lastUsedAt),
    revoked_at: iso(key.revokedAt),
    revoked_reason: key.revokedReason ?? null,
    replaced_by: key.replacedBy ?? null,
    replaces: key.replaces ?? null,
  };
}
