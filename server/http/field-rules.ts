// Field-by-field validation of the JSON bodies of records (the Partner API's contacts, webhooks):
// each rule checks one field's value and returns it cleaned, each refusal names its field, and a
// partial update may clear an optional field with null.
import { LatchkeyError } from '../../config/errors.ts';

export type FieldRule = (value: unknown, field: string) => unknown;

export interface Schema {
  readonly fields: Record<string, FieldRule>;
  readonly required: readonly string[];
}

export function fail(field: string, message: string): never {
  throw new LatchkeyError('validation_failed', `${field}: ${message}`, { field });
}

export const text = (max: number): FieldRule => (value, field) => {
  if (typeof value !== 'string') fail(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max) fail(field, `must be 1 to ${max} characters`);
  return trimmed;
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
