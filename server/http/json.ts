// Reads a JSON object body with a size limit; errors name what is wrong.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';

const LIMIT = 64 * 1024;

/**
 * JSON.parse makes "__proto__" an own property, harmless until some code copies the body with
 * Object.assign or a deep merge, which would then set a prototype. No body of ours has a use for
 * these names, so they are refused at any depth (as fastify's secure-json-parse does).
 */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  const constructorPrototype = key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
  if (key === '__proto__' || constructorPrototype) {
    throw new LatchkeyError('validation_failed', `${key}: this field name is not allowed`, { field: key });
  }
  return value;
}

/**
 * A fixed message, with the byte position when the parser gives one. V8's own message quotes the
 * body, and nesting too deep for the parser shows as "Maximum call stack size exceeded": neither
 * belongs in an answer.
 */
function notJson(err: unknown): string {
  const position = err instanceof SyntaxError ? /\bat position (\d+)/.exec(err.message)?.[1] : undefined;
  return `The body is not valid JSON${position ? ` (at position ${position})` : ''}.`;
}

/** The body's bytes, refused with `tooLarge()` as soon as it is over `limit` (declared or read). */
export async function readBody(ctx: Context, limit: number, tooLarge: () => Error): Promise<Buffer> {
  // Read once: the idempotency check (idempotency.ts) reads it before the route does.
  const read = ctx.state.rawBody as Buffer | undefined;
  if (read) {
    if (read.length > limit) throw tooLarge();
    return read;
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  ctx.state.rawBody = Buffer.concat(chunks);
  return ctx.state.rawBody as Buffer;
}

/** Any JSON value, with the prototype-key refusal and a message that never quotes the body. */
export function parseJsonValue(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'), refusePrototypeKeys);
  } catch (err) {
    if (err instanceof LatchkeyError) throw err;
    throw new LatchkeyError('invalid_request', notJson(err));
  }
}

export async function readJson(ctx: Context): Promise<Record<string, unknown>> {
  if (!ctx.is('application/json')) {
    throw new LatchkeyError('unsupported_media_type', 'Send the body as application/json.');
  }
  const raw = await readBody(ctx, LIMIT, () => new LatchkeyError('payload_too_large', `The body must be at most ${LIMIT / 1024} KiB.`));
  const value = parseJsonValue(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LatchkeyError('invalid_request', 'The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
