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
