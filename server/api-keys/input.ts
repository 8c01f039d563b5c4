// What a caller may ask of a key: environment, scopes, name, expiry, overlap and revocation reason,
// each checked with an error that names the field.
import type { Environment } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { API_SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';
import { durationSeconds } from '../../config/settings.ts';
import { hasHiddenCharacters } from '../http/input-rules.ts';

const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;
const MAX_NAME = 100;
const MAX_REASON = 200;

const invalid = (field: string, message: string) => new LatchkeyError('validation_failed', message, { field });

function plainLine(value: string, field: string, max: number): string {
  const text = value.trim();
  // Names and reasons are one line of visible text (server/http/input-rules.ts).
  if (hasHiddenCharacters(text)) throw invalid(field, `${field} must be one line of visible text, without control or formatting characters`);
  if (text.length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  return text;
}

/** "24h", "90m", "7d", "0" or plain seconds; at most LIFETIMES.apiKeyMaxOverlap. */
export function parseOverlap(value: string | number | undefined): number {
  if (value === undefined || value === '') return DEFAULT_OVERLAP_SECONDS;
  const seconds = durationSeconds(String(value));
  if (seconds === undefined || seconds > LIFETIMES.apiKeyMaxOverlap) {
    throw invalid('overlap', `overlap must be a duration from 0 to ${humanDuration(LIFETIMES.apiKeyMaxOverlap)}, such as 0, 90m, 24h or 7d`);
  }
  return seconds;
}

export function checkEnvironment(value: string): Environment {
  if (value !== 'test' && value !== 'live') throw invalid('environment', 'environment must be test or live');
  return value;
}

export function checkScopes(value: string | readonly string[]): string[] {
  const scopes = typeof value === 'string' ? parseScopeList(value) : [...new Set(value)];
  if (scopes.length === 0) throw invalid('scopes', 'give at least one scope');
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !API_SCOPE_NAMES.includes(scope)) {
      // Name it when it looks like a scope; never echo arbitrary input.
      const named = typeof scope === 'string' && /^[\x21-\x7e]{1,64}$/.test(scope) ? scope : 'a scope in the list';
      throw invalid('scopes', `${named} is not a scope an API key can hold; see /docs/scopes`);
    }
  }
  return scopes;
}

export function checkName(value: string | undefined): string {
  return plainLine(value ?? '', 'name', MAX_NAME) || 'Unnamed key';
}

// A calendar date (checked against the calendar: no 2027-02-30), optionally a time and a zone.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** The date part exists in the calendar (Date would roll 2027-02-30 over into March). */
function isCalendarDate(value: string): boolean {
  const match = ISO_DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function checkExpiry(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const at = new Date(value);
  if (!isCalendarDate(value) || Number.isNaN(at.getTime())) {
    throw invalid('expires_at', 'expires_at must be an ISO 8601 date or date-time, such as 2027-01-31T00:00:00Z');
  }
  if (at <= now) throw invalid('expires_at', 'expires_at must be in the future');
  return at;
}

/** A revocation reason: one line of visible text in any script, at most MAX_REASON characters. */
export function checkReason(reason: string): string {
  return plainLine(reason, 'reason', MAX_REASON) || 'revoked';
}
