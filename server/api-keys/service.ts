// The API key lifecycle: create, list, get, roll (with an overlap), revoke. Every change is an
// audit event. The full key exists only in the return value of create and roll.
import type { ApiKeyRecord, AuditEvent, Environment, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { API_SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';
import { durationSeconds } from '../../config/settings.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { generateApiKey, parseApiKey } from './format.ts';
import { checkScopesWithin, earliest, NO_LIMITS, type KeyLimits } from './limits.ts';

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

const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;

/** "24h", "90m", "7d", "0" or plain seconds; at most LIFETIMES.apiKeyMaxOverlap. */
export function parseOverlap(value: string | number | undefined): number {
  if (value === undefined || value === '') return DEFAULT_OVERLAP_SECONDS;
  const seconds = durationSeconds(String(value));
  if (seconds === undefined || seconds > LIFETIMES.apiKeyMaxOverlap) {
    throw new LatchkeyError('validation_failed',
      `overlap must be a duration from 0 to ${humanDuration(LIFETIMES.apiKeyMaxOverlap)}, such as 0, 90m, 24h or 7d`, { field: 'overlap' });
  }
  return seconds;
}

function checkEnvironment(value: string): Environment {
  if (value !== 'test' && value !== 'live') throw new LatchkeyError('validation_failed', 'environment must be test or live', { field: 'environment' });
  return value;
}

function checkScopes(value: string | readonly string[]): string[] {
  const scopes = typeof value === 'string' ? parseScopeList(value) : [...new Set(value)];
  if (scopes.length === 0) throw new LatchkeyError('validation_failed', 'give at least one scope', { field: 'scopes' });
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !API_SCOPE_NAMES.includes(scope)) {
      throw new LatchkeyError('validation_failed', `"${String(scope)}" is not a scope an API key can hold; see /docs/scopes`, { field: 'scopes' });
    }
  }
  return scopes;
}

function checkName(value: string | undefined): string {
  const name = (value ?? '').trim() || 'Unnamed key';
  if (name.length > 100) throw new LatchkeyError('validation_failed', 'name must be at most 100 characters', { field: 'name' });
  return name;
}

function checkExpiry(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new LatchkeyError('validation_failed', 'expires_at must be an ISO 8601 date-time', { field: 'expires_at' });
  }
  if (at <= now) throw new LatchkeyError('validation_failed', 'expires_at must be in the future', { field: 'expires_at' });
  return at;
}

function auditEvent(key: { id: string; accountId: string }, actor: Actor, action: string, at: Date, reason?: string): AuditEvent {
  return { id: generateSortableId('evt'), accountId: key.accountId, actor, action, targetId: key.id, reason, at };
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
  const maxLiveKeys = input.maxLiveKeys ?? LIMITS.apiKeysPerAccount;
  if (await store.countLiveApiKeys(input.accountId, now) >= maxLiveKeys) {
    throw new LatchkeyError('limit_reached', `this account holds ${maxLiveKeys} live API keys, the most it may; `
      + 'revoke keys it no longer uses, then create this one', { details: { limit: String(maxLiveKeys) } });
  }
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
  await store.createApiKey(created.record, auditEvent(created.record, input.actor, 'api_key.created', now));
  return created;
}

/** The key, if it exists and belongs to the account; otherwise not_found (never "exists elsewhere"). */
export async function getKey(store: Store, accountId: string, id: string): Promise<ApiKeyRecord> {
  const key = await store.findApiKey(id);
  if (!key || key.accountId !== accountId) throw new LatchkeyError('not_found', `no API key "${id}"`);
  return key;
}

/**
 * A new key now, with the same name, scopes, environment, expiry and grant; the old one keeps
 * working for `overlapSeconds`, then dies. The roller's limits apply as to a new key.
 */
export async function rollKey(
  store: Store, pepper: Pepper, old: ApiKeyRecord, overlapSeconds: number, actor: Actor, limits: KeyLimits = NO_LIMITS,
): Promise<{ record: ApiKeyRecord; key: string; previous: ApiKeyRecord }> {
  const now = new Date();
  if (old.revokedAt) throw new LatchkeyError('conflict', 'a revoked key cannot be rolled; create a new one');
  if (old.replacedBy) throw new LatchkeyError('conflict', `this key was already rolled; roll its successor ${old.replacedBy}`);
  if (old.expiresAt && old.expiresAt <= now) throw new LatchkeyError('conflict', 'an expired key cannot be rolled; create a new one');
  checkScopesWithin(old.scopes, limits);
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

const MAX_REASON = 200;
// Control characters (C0, DEL, C1) and line or paragraph separators: a reason is one line of text.
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029]/u;

/** A revocation reason: one line of text, at most MAX_REASON characters (any script). */
export function checkReason(reason: string): string {
  const why = reason.trim();
  if (NOT_ONE_LINE.test(why)) throw new LatchkeyError('validation_failed', 'reason must be one line of text, without control characters', { field: 'reason' });
  if (why.length > MAX_REASON) throw new LatchkeyError('validation_failed', `reason must be at most ${MAX_REASON} characters`, { field: 'reason' });
  return why || 'revoked';
}

export async function revokeKey(store: Store, key: ApiKeyRecord, reason: string, actor: Actor): Promise<ApiKeyRecord> {
  const why = checkReason(reason);
  const now = new Date();
  if (!await store.revokeApiKey(key.id, now, why, auditEvent(key, actor, 'api_key.revoked', now, why))) {
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
