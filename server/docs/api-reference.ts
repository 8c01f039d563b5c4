// The API description as a docs page (/docs/api): Markdown written from the OpenAPI document at
// boot, rendered like every other page, so no third-party viewer or CDN is needed.

type Json = Record<string, unknown>;

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
/** A schema's description (or any other words it carries), or nothing. */
const words = (value: unknown) => (typeof value === 'string' ? value : '');

/** A JSON Schema's type in words: `string`, `array of string`, `ApiKey`, `string or null`. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').at(-1)!;
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(' or ');
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const data = (schema.properties as Record<string, Json> | undefined)?.data;
  if (schema.type === 'object' && data?.type === 'array') return `list of ${typeOf(data.items as Json | undefined)}`;
  const type = Array.isArray(schema.type) ? (schema.type as string[]).join(' or ') : (typeof schema.type === 'string' ? schema.type : 'any');
  return type === 'array' ? `array of ${typeOf(schema.items as Json | undefined)}` : type;
}

/** A table of an object schema's fields; a reference names its component instead. */
function fields(schema: Json | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return `A ${code(typeOf(schema))} (see [Objects](#objects)).`;
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(properties).map(([name, field]) =>
    `| ${code(name)} | ${cell(typeOf(field))} | ${required.has(name) ? 'yes' : ''} | ${cell(words(field.description))} |`);
  return rows.length ? ['| Field | Type | Required | Notes |', '| --- | --- | --- | --- |', ...rows].join('\n') : typeOf(schema);
}

function operationSection(path: string, method: string, op: Json): string {
  const security = (op.security as Record<string, string[]>[]).flatMap((s) => Object.entries(s));
  const scope = security.find(([, scopes]) => scopes.length > 0)?.[1][0];
  const callers = [
    security.some(([name]) => name === 'oauth2') ? 'an access token or an API key' : '',
    security.some(([name]) => name === 'portalSession') ? 'a signed-in portal user' : '',
  ].filter(Boolean).join(', or ');
  const lines = [`### ${op.summary as string}`, '', `${code(`${method.toUpperCase()} ${path}`)}`, ''];
  if (op.description) lines.push(op.description as string, '');
  lines.push(`Who may call it: ${callers}${scope ? ` (scope ${code(scope)})` : ''}.`, '');
  const params = (op.parameters as Json[]).filter((p) => p.in !== 'path');
  if (params.length) {
    lines.push('| Parameter | In | Notes |', '| --- | --- | --- |', ...params.map((p) => `| ${code(p.name as string)} | ${p.in as string} | ${cell(words(p.description))} |`), '');
  }
  const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const json = body?.['application/json'];
  if (json) {
    lines.push('Request body:', '', fields(json.schema as Json), '');
    if (json.example !== undefined) lines.push('```json', JSON.stringify(json.example, null, 2), '```', '');
  } else if (body) {
    lines.push(`Request body: the file itself, as ${Object.keys(body).map(code).join(', ')}.`, '');
  }
  const responses = op.responses as Record<string, Json>;
  const [status, success] = Object.entries(responses)[0]!;
  const schema = (success.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined;
  lines.push(`Answer: ${code(status)}${schema ? `, ${code(typeOf(schema))}` : ', no body'}.`, '');
  const errors = Object.entries(responses).slice(1).flatMap(([s, r]) => [...String(r.description).matchAll(/`(\w+)`/g)].map((m) => `[${code(m[1]!)}](errors.md#${m[1]!}) (${s})`));
  lines.push(`Errors: ${errors.join(', ')}.`, '');
  return lines.join('\n');
}

/** The docs page of an OpenAPI document made by openApiDocument. */
export function apiReferenceMarkdown(document: Json): string {
  const paths = document.paths as Record<string, Record<string, Json>>;
  const tags = (document.tags as { name: string }[]).map((t) => t.name);
  const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
  const out = [
    '# API reference',
    '',
    'Every route of the management API (`/v1`) and of the Partner API (`/api/v1`), generated from the',
    'schemas the routes check their requests with. The same description, machine-readable (OpenAPI 3.1),',
    'is at [/openapi.json](/openapi.json): import it into Postman or Insomnia, or generate a client from it.',
    '',
    'Send a credential as `Authorization: Bearer …`: an access token from `/token` or an API key. A signed-in',
    'portal user may call the management routes with the session cookie and the `X-CSRF-Token` header. Every',
    'error has one shape, `{"error": {"code", "message", "docs_url", …}}` ([errors](errors.md)), and every `POST`',
    'takes an `Idempotency-Key` header.',
    '',
  ];
  for (const tag of tags) {
    out.push(`## ${tag}`, '');
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) if ((op.tags as string[])[0] === tag) out.push(operationSection(path, method, op));
    }
  }
  out.push('## Objects', '');
  for (const [name, schema] of Object.entries(schemas)) out.push(`### ${name}`, '', fields(schema), '');
  return out.join('\n');
}
