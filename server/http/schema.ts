// Request bodies checked against their route's zod schema (one schema per request shape, declared
// beside the route; a later issue generates the API description from them). A refusal is our
// validation_failed body naming the field, in the words the schema gives: an unknown field first,
// then the first field at fault in the schema's order.
import { z } from 'zod';
import { LatchkeyError } from '../../config/errors.ts';

/** An optional string field; null reads as absent. */
export function optionalText(field: string) {
  return z.string({ error: `${field} must be a string` }).nullish().transform((value) => value ?? undefined);
}

/** A string the field rules read (messages name the field): required unless made optional. */
function stringOf(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field}: is required` : `${field}: must be a string`) });
}

/** Text of 1 to `max` characters once trimmed. */
export function trimmedText(field: string, max: number) {
  const message = `${field}: must be 1 to ${max} characters`;
  return stringOf(field).trim().min(1, message).max(max, message);
}

/** An email address, lowercased. */
export function emailAddress(field: string) {
  return trimmedText(field, 254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, `${field}: must be an email address`).toLowerCase();
}

/**
 * A partial update of a record: each field may be left out, an optional one cleared with null, and
 * at least one must be given.
 */
export function partialUpdate<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, required: readonly (keyof Shape & string)[]) {
  const fields = Object.fromEntries(Object.entries(schema.shape).map(([name, field]) => {
    const base = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field as z.ZodType;
    return [name, required.includes(name) ? base.optional() : base.nullable().optional()];
  }));
  return z.strictObject(fields).refine((body) => Object.keys(body).length > 0, { error: 'the body changes nothing' });
}

/** The body as `schema` reads it; 400 validation_failed naming the field otherwise. */
export function parseBody<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, body: unknown): z.output<z.ZodObject<Shape>> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const { issues } = result.error;
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown) {
    const field = unknown.keys[0]!;
    throw new LatchkeyError('validation_failed', `${field}: unknown field; allowed: ${Object.keys(schema.shape).join(', ')}`, { field });
  }
  const first = issues[0]!;
  throw new LatchkeyError('validation_failed', first.message, { field: first.path.map(String).join('.') || 'body' });
}
