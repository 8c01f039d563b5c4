// Validation of Partner API bodies: each error names its field.
import { LatchkeyError } from '../../config/errors.ts';
import { WEBHOOK_EVENT_NAMES } from '../../config/webhooks.ts';

export const EVENT_TYPES = WEBHOOK_EVENT_NAMES;

/** Every Partner API list (records, webhooks, deliveries): 20 by default, 100 at most. */
export const PAGE_SIZES = { defaultSize: 20, maxSize: 100 };

type FieldRule = (value: unknown, field: string) => unknown;

function fail(field: string, message: string): never {
  throw new LatchkeyError('validation_failed', `${field}: ${message}`, { field });
}

const text = (max: number): FieldRule => (value, field) => {
  if (typeof value !== 'string') fail(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max) fail(field, `must be 1 to ${max} characters`);
  return trimmed;
};

const email: FieldRule = (value, field) => {
  const v = text(254)(value, field) as string;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) fail(field, 'must be an email address');
  return v.toLowerCase();
};

/** The URL's form; where it may point (and http for localhost) is server/http/outbound-url.ts's to decide. */
const webhookUrl: FieldRule = (value, field) => {
  const v = text(2000)(value, field) as string;
  const url = URL.parse(v);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) fail(field, 'must be an https URL');
  if (url.username || url.password) fail(field, 'must not contain credentials');
  return url.href;
};

const eventTypes: FieldRule = (value, field) => {
  if (!Array.isArray(value) || value.length === 0) fail(field, `must be a non-empty array of: ${EVENT_TYPES.join(', ')}`);
  for (const type of value) {
    if (typeof type !== 'string' || !EVENT_TYPES.includes(type)) fail(field, `"${String(type)}" is not one of: ${EVENT_TYPES.join(', ')}`);
  }
  return [...new Set(value as string[])];
};

export interface Schema {
  readonly fields: Record<string, FieldRule>;
  readonly required: readonly string[];
}

export const CONTACT: Schema = {
  fields: { name: text(200), email, phone: text(40), company: text(200) },
  required: ['name'],
};

export const WEBHOOK: Schema = {
  fields: { url: webhookUrl, events: eventTypes, description: text(200) },
  required: ['url', 'events'],
};

/** Validates a create (all required fields) or a partial update; `null` clears an optional field. */
export function validate(schema: Schema, body: Record<string, unknown>, partial: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    // Own properties only: "constructor", "toString" or "__proto__" must not find Object.prototype's.
    const rule = Object.hasOwn(schema.fields, field) ? schema.fields[field] : undefined;
    if (!rule) fail(field, `unknown field; allowed: ${Object.keys(schema.fields).join(', ')}`);
    if (value === null && partial && !schema.required.includes(field)) {
      out[field] = null;
      continue;
    }
    out[field] = rule(value, field);
  }
  if (!partial) {
    for (const field of schema.required) if (out[field] === undefined) fail(field, 'is required');
  }
  if (partial && Object.keys(out).length === 0) throw new LatchkeyError('validation_failed', 'the body changes nothing');
  return out;
}
