// What a route of /v1 or /api/v1 is, for the API description (/openapi.json): declared beside the
// route, naming the very zod schema its handler parses the body with, so the description cannot
// drift from what is checked. Responses are described by zod schemas too; the test suite sends each
// operation's example to a live server and validates the answer against the published document.
import { z } from 'zod';
import type { ErrorCode } from '../../config/errors.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  readonly method: Method;
  /** The full path, in OpenAPI's form: `/v1/api-keys/{id}`. */
  readonly path: string;
  /** One line: what it does. */
  readonly summary: string;
  /** More words, Markdown; optional. */
  readonly description?: string;
  /** Its group in the description (`API keys`, `Contacts`). */
  readonly tag: string;
  /** The scope a credential needs (none where only a portal session may call). */
  readonly scope?: string;
  /**
   * Who may call it: a credential with the scope (`credential`), a signed-in portal user
   * (`session`), either, or anyone (`anyone`: the leak reports, which carry their own proof).
   */
  readonly callers: 'credential' | 'session' | 'either' | 'anyone';
  /** The request body: the schema the handler parses it with. */
  readonly body?: z.ZodType;
  /** A raw upload instead of JSON: its media types. */
  readonly upload?: readonly string[];
  /** The body may be left out (an empty body reads as `{}`). */
  readonly bodyOptional?: boolean;
  /** A list: `limit` and `starting_after`. */
  readonly paginated?: boolean;
  /** The success status and its body (none for 204). */
  readonly status: number;
  readonly response?: z.ZodType;
  /** The error codes this route may answer besides the ones every route may (`COMMON_ERRORS`). */
  readonly errors?: readonly ErrorCode[];
  /** A request that works: the body sent (path parameters are taken from the objects made before it). */
  readonly example?: unknown;
}

/** What any route of /v1 and /api/v1 may answer. */
export const COMMON_ERRORS: readonly ErrorCode[] = [
  'missing_credential', 'invalid_token', 'insufficient_scope', 'rate_limited', 'internal_error', 'store_unavailable',
];

/** Every error body of our own routes (config/errors.ts). */
export const ERROR_BODY = z.object({
  error: z.looseObject({
    code: z.string().meta({ description: 'One of the codes in the error catalog (/docs/errors)' }),
    message: z.string(),
    field: z.string().optional().meta({ description: 'The field at fault, for validation_failed' }),
    missing_scopes: z.array(z.string()).optional(),
    required_scope: z.string().optional(),
    scope_docs: z.string().optional(),
    docs_url: z.string().meta({ description: 'The code\'s entry in the error catalog' }),
  }),
}).meta({ id: 'Error' });

/** A page of a list (Stripe's shape): `data`, and `has_more` when another page follows. */
export function listOf(item: z.ZodType, extra: z.ZodRawShape = {}) {
  return z.looseObject({ object: z.literal('list'), data: z.array(item), has_more: z.boolean(), ...extra });
}

/** A time as the API writes it: ISO 8601 in UTC, or null where there is none. */
export const timestamp = z.iso.datetime();
export const optionalTimestamp = z.iso.datetime().nullable();

/** What a delete answers. */
export function deleted(object: string) {
  return z.object({ id: z.string(), object: z.literal(object), deleted: z.literal(true) });
}
