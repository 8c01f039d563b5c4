// The API description (OpenAPI 3.1) of /v1 and /api/v1, served at /openapi.json and rendered at
// /docs/api. Built once at boot from the operations each router declares beside its routes: their
// request schemas are the zod schemas the handlers parse with, so the description cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { SCOPES } from '../../config/scopes.ts';
import { COMMON_ERRORS, ERROR_BODY, type Operation } from '../http/operations.ts';
import { API_KEY_OPERATIONS } from '../management/api-keys.ts';
import { CLIENT_OPERATIONS } from '../management/clients.ts';
import { LEAK_OPERATIONS } from '../leaks/routes.ts';
import { MEMBER_OPERATIONS } from '../management/members.ts';
import { WEBHOOK_OPERATIONS } from '../management/webhooks.ts';
import { PARTNER_OPERATIONS } from '../partner-api/routes.ts';
import { PARTNER_WEBHOOK_OPERATIONS } from '../partner-api/webhooks.ts';

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** Every operation of /v1 and, when the Partner API is on, of /api/v1. */
export function operationsOf(partnerApi: boolean): readonly Operation[] {
  return [
    ...API_KEY_OPERATIONS, ...CLIENT_OPERATIONS, ...MEMBER_OPERATIONS, ...WEBHOOK_OPERATIONS, ...LEAK_OPERATIONS,
    ...(partnerApi ? [...PARTNER_OPERATIONS, ...PARTNER_WEBHOOK_OPERATIONS] : []),
  ];
}

type JsonSchema = Record<string, unknown>;
const COMPONENTS = '#/components/schemas/';

/** JSON Schema of a zod schema (date-times without zod's long pattern); its named parts in `$defs`. */
function convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, {
    io, unrepresentable: 'any', target: 'draft-2020-12',
    override: ({ jsonSchema: js }) => { if (js.format === 'date-time') delete js.pattern; },
  });
}

/** Refers to the document's components where zod refers to its own `$defs`. */
const toComponents = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', `"${COMPONENTS}`)) as T;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = convert(schema, io);
  // The dialect is the document's (3.1 is 2020-12); named parts are components.
  delete converted.$schema;
  delete converted.$defs;
  return toComponents(converted);
}

/** Every named schema (`.meta({ id })`) the operations reach, under its name. */
function components(operations: readonly Operation[]): Record<string, JsonSchema> {
  const named: Record<string, JsonSchema> = {};
  const collect = (schema: z.ZodType | undefined, io: 'input' | 'output') => {
    if (schema) Object.assign(named, toComponents(convert(schema, io).$defs ?? {}));
  };
  for (const op of operations) {
    collect(op.body, 'input');
    collect(op.response, 'output');
  }
  collect(ERROR_BODY, 'output');
  return named;
}

function errorResponses(op: Operation): Record<string, unknown> {
  const codes = new Set<ErrorCode>([...(op.errors ?? []), ...(op.callers === 'anyone' ? ['rate_limited', 'internal_error', 'store_unavailable'] as const : COMMON_ERRORS)]);
  if (op.method === 'post' && op.callers !== 'anyone') for (const code of ['idempotency_key_in_use', 'idempotency_key_reused'] as const) codes.add(code);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [String(status), {
    description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join(' '),
    content: { 'application/json': { schema: { $ref: `${COMPONENTS}Error` } } },
  }]));
}

function security(op: Operation): Record<string, string[]>[] {
  const scopes = op.scope ? [op.scope] : [];
  const credential: Record<string, string[]>[] = [{ oauth2: scopes }, { apiKey: scopes }];
  const session: Record<string, string[]>[] = [{ portalSession: [] }];
  if (op.callers === 'anyone') return [];
  return op.callers === 'credential' ? credential : op.callers === 'session' ? session : [...credential, ...session];
}

function parameters(op: Operation): unknown[] {
  const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const page = op.paginated ? [
    { name: 'limit', in: 'query', description: 'How many to return (20 by default, 100 at most)', schema: { type: 'integer', minimum: 1, maximum: 100 } },
    { name: 'starting_after', in: 'query', description: 'The last id of the previous page (its `next_starting_after`)', schema: { type: 'string' } },
  ] : [];
  const idempotency = op.method === 'post' && op.callers !== 'anyone' ? [{
    name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
    description: `A repeat with the same key and body within ${humanDuration(LIFETIMES.idempotencyKey)} gets the first answer again; another body gets 422 \`idempotency_key_reused\`.`,
  }] : [];
  return [...inPath, ...page, ...idempotency];
}

function operationObject(op: Operation): Record<string, unknown> {
  const body = op.body ? {
    requestBody: {
      required: !op.bodyOptional,
      content: { 'application/json': { schema: jsonSchema(op.body, 'input'), ...(op.example === undefined ? {} : { example: op.example }) } },
    },
  } : op.upload ? { requestBody: { required: true, content: Object.fromEntries(op.upload.map((type) => [type, { schema: { type: 'string', contentMediaType: type } }])) } } : {};
  const success = op.response
    ? { description: op.summary, content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } }
    : { description: `${op.summary}: no body` };
  return {
    operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    summary: op.summary, ...(op.description ? { description: op.description } : {}), tags: [op.tag],
    security: security(op), parameters: parameters(op), ...body,
    responses: { [String(op.status)]: success, ...errorResponses(op) },
  };
}

/** The OpenAPI 3.1 document of the running server. */
export function openApiDocument(issuer: string, partnerApi: boolean): Record<string, unknown> {
  const operations = operationsOf(partnerApi);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) (paths[op.path] ??= {})[op.method] = operationObject(op);
  const scopes = Object.fromEntries(SCOPES.filter((s) => s.audience === 'api' && !s.resource).map((s) => [s.name, s.description]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey API', version: VERSION,
      description: 'The management API (`/v1`: API keys, OAuth clients, members, webhooks) and the Partner API (`/api/v1`). Guides: /docs. Errors: /docs/errors.',
    },
    servers: [{ url: issuer }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components(operations),
      securitySchemes: {
        oauth2: {
          type: 'oauth2', description: `An access token for the resource ${issuer}/api, with the route's scope.`,
          flows: {
            clientCredentials: { tokenUrl: `${issuer}/token`, scopes },
            authorizationCode: { authorizationUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, refreshUrl: `${issuer}/token`, scopes },
          },
        },
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`sk_test_…`, `sk_live_…`) holding the route\'s scope, as a bearer token.' },
        portalSession: {
          type: 'apiKey', in: 'cookie', name: 'latchkey_portal',
          description: 'A signed-in portal user of the account (the cookie is `__Host-latchkey_portal` over https). Changes also need the `X-CSRF-Token` header the portal pages carry.',
        },
      },
    },
  };
}
