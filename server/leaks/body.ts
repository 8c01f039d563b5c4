// Leak reports are read as raw bytes (a scanner's signature covers exactly those bytes) with a size
// limit, then parsed. Errors are about the shape of the body only, never about what it contains.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { parseJsonValue, readBody } from '../http/json.ts';
import { LIMITS } from '../../config/limits.ts';

const tooLarge = () => new LatchkeyError('payload_too_large', `The body must be at most ${LIMITS.leakReportMaxBytes / 1024 / 1024} MiB.`);

/** The body's bytes: 413 as soon as it is over LIMITS.leakReportMaxBytes (declared or read). */
export function readRawBody(ctx: Context): Promise<Buffer> {
  return readBody(ctx, LIMITS.leakReportMaxBytes, tooLarge);
}

/** JSON.parse with a fixed message: V8's own quotes the body, which may hold credentials. */
export const parseJson = parseJsonValue;

/** 400 naming the field, for a body of the wrong shape. */
export function badShape(field: string, message: string): LatchkeyError {
  return new LatchkeyError('invalid_request', message, { field });
}

/** A reported string: a string of 1 to LIMITS.leakReportMaxCredentialLength characters. */
export function isReportedString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= LIMITS.leakReportMaxCredentialLength;
}
