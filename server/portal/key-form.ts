// The Create key form: each field checked in one pass (the service's own rules, one per field), so
// the page lists every problem at once, in words a person uses; and the presets that fill the scopes
// for one API (read only, or read and write).
import { LatchkeyError } from '../../config/errors.ts';
import { API_SCOPE_NAMES, PARTNER_API_DEMO_SCOPE_NAMES, RESOURCES } from '../../config/scopes.ts';
import { checkEnvironment, checkExpiry, checkName, checkScopes } from '../api-keys/input.ts';
import { inWords, type FieldErrors } from './format.ts';

/** datetime-local sends no zone; the form says the time is UTC. */
const LOCAL_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/;
const LABELS = { name: 'The name', environment: 'The environment', scopes: 'Scopes', expires_at: 'The expiry' };
export const LIVE_CONFIRMATION = 'Tick the box to confirm: a live key works on live data.';

export interface KeyForm {
  readonly name?: string | undefined;
  readonly environment?: string | undefined;
  readonly confirm_live?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly expires_at?: string | undefined;
}

/** The expiry as the service takes it: the form's UTC date and time, as ISO 8601. */
export function expiryOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!LOCAL_DATE_TIME.test(value)) throw new LatchkeyError('validation_failed', 'expires_at must be a date and time', { field: 'expires_at' });
  return new Date(`${value}Z`).toISOString();
}

function problem(errors: FieldErrors, field: keyof typeof LABELS, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof LatchkeyError) || err.code !== 'validation_failed') throw err;
    errors[field] = inWords(err.message, field, LABELS[field]);
  }
}

/** Every field's problem, at once. */
export function keyFormErrors(form: KeyForm, now = new Date()): FieldErrors {
  const errors: FieldErrors = {};
  problem(errors, 'name', () => checkName(form.name));
  problem(errors, 'environment', () => checkEnvironment(form.environment ?? ''));
  if (form.environment === 'live' && form.confirm_live !== 'yes') errors.confirm_live = LIVE_CONFIRMATION;
  if ((form.scopes ?? []).length === 0) errors.scopes = 'Choose at least one scope.';
  else problem(errors, 'scopes', () => checkScopes(form.scopes ?? []));
  problem(errors, 'expires_at', () => checkExpiry(expiryOf(form.expires_at), now));
  return errors;
}

export interface Preset {
  readonly id: string;
  readonly label: string;
  readonly scopes: readonly string[];
}

/** Per API: its read scopes, and all of its scopes. The management scopes are chosen one by one. */
export function keyPresets(): Preset[] {
  return RESOURCES.flatMap((resource, i) => {
    const data = resource.scopes.filter((s) => API_SCOPE_NAMES.includes(s) && (i > 0 || PARTNER_API_DEMO_SCOPE_NAMES.includes(s)));
    const reads = data.filter((s) => s.startsWith('read:'));
    if (data.length === 0) return [];
    return [
      ...(reads.length > 0 ? [{ id: `${i}-read`, label: `${resource.name}: read only`, scopes: reads }] : []),
      ...(data.length > reads.length ? [{ id: `${i}-write`, label: `${resource.name}: read and write`, scopes: data }] : []),
    ];
  });
}
