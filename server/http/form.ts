// Reads an application/x-www-form-urlencoded body with a size limit. Each field must appear once.
import { parse } from 'node:querystring';
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';

const LIMIT = 16 * 1024;

/** The form's fields; each must appear at most once. */
export async function readForm(ctx: Context, fields: readonly string[]): Promise<Record<string, string>> {
  const { single } = await readFormFields(ctx, fields, []);
  return single;
}

/** As readForm, plus fields that may repeat (checkboxes), returned as arrays. */
export async function readFormFields(
  ctx: Context, fields: readonly string[], repeated: readonly string[],
): Promise<{ single: Record<string, string>; multiple: Record<string, string[]> }> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new LatchkeyError('unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > LIMIT) throw new LatchkeyError('payload_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) throw new LatchkeyError('payload_too_large');
    chunks.push(chunk as Buffer);
  }
  const parsed = parse(Buffer.concat(chunks).toString('utf8'));
  const single: Record<string, string> = {};
  for (const field of fields) {
    const value = parsed[field];
    if (Array.isArray(value)) throw new LatchkeyError('invalid_request', `The field "${field}" appears more than once.`, { field });
    single[field] = value ?? '';
  }
  const multiple: Record<string, string[]> = {};
  for (const field of repeated) {
    const value = parsed[field];
    multiple[field] = value === undefined ? [] : Array.isArray(value) ? value : [value];
  }
  return { single, multiple };
}
