// The operator's resources and scopes, from the JSON file LATCHKEY_CATALOG_FILE names, and the
// LATCHKEY_PARTNER_API switch. Pure parsing: config/scopes.ts calls it once at import, so every
// importer sees one catalog; a problem is kept (not thrown) and loadSettings() reports it at boot.

export interface CatalogFileScope {
  readonly name: string;
  readonly description: string;
  readonly useCase: string;
  readonly consent: boolean;
  /** An unverified client may ask for it (`self_serve`, false unless set). */
  readonly selfServe: boolean;
}

export interface CatalogFileResource {
  /** An absolute https URL (http for loopback hosts): the RFC 8707 indicator and the JWT `aud`. */
  readonly resource: string;
  readonly name: string;
  readonly scopes: readonly CatalogFileScope[];
}

/** A problem with the catalog settings: `field` names the variable and the entry (`resources[0].scopes[1].name`). */
export interface CatalogProblem {
  readonly field: string;
  readonly problem: string;
}

export class CatalogFileError extends Error {
  readonly field: string;
  readonly problem: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'CatalogFileError';
    this.field = field;
    this.problem = problem;
  }
}

export const CATALOG_FILE_VARIABLE = 'LATCHKEY_CATALOG_FILE';
export const PARTNER_API_VARIABLE = 'LATCHKEY_PARTNER_API';

export const SCOPE_NAME = /^[a-z_]+(:[a-z_]+)?$/;

/** OpenID Connect's standard scopes (and ours): never an operator API's scope name. */
const OPENID_STANDARD_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'email', 'profile', 'address', 'phone']);
const MAX_TEXT = 200;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const fail = (field: string, problem: string): never => {
  throw new CatalogFileError(field ? `${CATALOG_FILE_VARIABLE} ${field}` : CATALOG_FILE_VARIABLE, problem);
};

/** `resources[0]` + `name` -> `resources[0].name`; at the top of the file, the key alone. */
const at = (field: string, key: string) => (field ? `${field}.${key}` : key);

/** A value as an error may quote it: short printable text, else a description of its type. */
function shown(value: unknown): string {
  if (typeof value === 'string' && /^[\x20-\x7e]{0,80}$/.test(value)) return JSON.stringify(value);
  return typeof value === 'string' ? 'the value' : `a ${Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value}`;
}

function objectAt(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(field, `${field ? '' : 'the file '}must be an object with ${keys.join(', ')}`);
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !keys.includes(key));
  if (unknown !== undefined) fail(at(field, /^[\w-]{1,40}$/.test(unknown) ? unknown : '?'), `unknown field; the fields are ${keys.join(', ')}`);
  return record;
}

function textAt(record: Record<string, unknown>, key: string, field: string): string {
  const value = record[key];
  if (typeof value !== 'string' || !value.trim()) fail(`${field}.${key}`, `is required: one line of text, got ${value === undefined ? 'nothing' : shown(value)}`);
  const text = (value as string).trim();
  if (text.length > MAX_TEXT || /[\p{Cc}\p{Cf}\u2028\u2029]/u.test(text)) fail(`${field}.${key}`, `must be one line of visible text of at most ${MAX_TEXT} characters`);
  return text;
}

function resourceAt(value: unknown, field: string): string {
  const example = 'for example "https://orders.example.com"';
  if (typeof value !== 'string') fail(field, `is required: an absolute https URL, ${example}`);
  const url = URL.parse(value as string);
  if (!url || !/^https?:$/.test(url.protocol) || !url.host) fail(field, `${shown(value)} is not an absolute https URL, ${example}`);
  if (url!.protocol === 'http:' && !LOOPBACK_HOSTS.has(url!.hostname)) fail(field, `${shown(value)} must use https (http is allowed for localhost, 127.0.0.1 and [::1] only)`);
  if (url!.hash || (value as string).includes('#') || url!.username || url!.password) fail(field, `${shown(value)} must not contain a fragment or credentials`);
  return value as string;
}

function selfServeAt(record: Record<string, unknown>, field: string): boolean {
  if (record.self_serve === undefined) return false;
  if (typeof record.self_serve !== 'boolean') fail(`${field}.self_serve`, 'must be true (an unverified app may ask for it) or false (the default)');
  if (record.self_serve && record.consent !== true) fail(`${field}.self_serve`, 'can be true only for a scope users may grant (consent: true)');
  return record.self_serve as boolean;
}

function scopeAt(value: unknown, field: string, taken: Set<string>): CatalogFileScope {
  const record = objectAt(value, field, ['name', 'description', 'use_case', 'consent', 'self_serve']);
  const name = record.name;
  if (typeof name !== 'string' || !SCOPE_NAME.test(name)) {
    fail(`${field}.name`, `${name === undefined ? 'nothing' : shown(name)} is not a valid scope name (lowercase letters and _, optionally one ':')`);
  }
  if (OPENID_STANDARD_SCOPES.has(name as string)) {
    fail(`${field}.name`, `${shown(name)} is an OpenID Connect scope (its claims come from Latchkey's users); name your API's scopes otherwise`);
  }
  if (taken.has(name as string)) fail(`${field}.name`, `${shown(name)} is already a scope (scope names are unique across every resource, built-in ones included)`);
  taken.add(name as string);
  if (typeof record.consent !== 'boolean') fail(`${field}.consent`, 'is required: true (users may grant it to third-party apps) or false (never)');
  return {
    name: name as string,
    description: textAt(record, 'description', field),
    useCase: textAt(record, 'use_case', field),
    consent: record.consent as boolean,
    selfServe: selfServeAt(record, field),
  };
}

/**
 * Parses the file's text. `takenScopes` are the built-in names (a duplicate is refused); a resource
 * that is the issuer's own is checked by settings, which know the issuer (resourceClashWithIssuer).
 */
export function parseCatalogFile(text: string, takenScopes: Iterable<string>): CatalogFileResource[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail('', `is not valid JSON (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)})`);
  }
  const root = objectAt(json, '', ['resources']);
  if (!Array.isArray(root.resources)) fail('resources', 'is required: a list of {"resource", "name", "scopes"}');
  const taken = new Set(takenScopes);
  const seenResources = new Set<string>();
  return (root.resources as unknown[]).map((entry, i) => {
    const field = `resources[${i}]`;
    const record = objectAt(entry, field, ['resource', 'name', 'scopes']);
    const resource = resourceAt(record.resource, `${field}.resource`);
    if (seenResources.has(resource)) fail(`${field}.resource`, `${shown(resource)} is listed twice`);
    seenResources.add(resource);
    const name = textAt(record, 'name', field);
    if (!Array.isArray(record.scopes) || record.scopes.length === 0) fail(`${field}.scopes`, 'is required: a list of at least one {"name", "description", "use_case", "consent"}');
    const scopes = (record.scopes as unknown[]).map((scope, j) => scopeAt(scope, `${field}.scopes[${j}]`, taken));
    return { resource, name, scopes };
  });
}

/** Reads and parses the file named by LATCHKEY_CATALOG_FILE; none when unset. */
export function readCatalogFile(path: string | undefined, read: (path: string) => string, takenScopes: Iterable<string>): CatalogFileResource[] {
  if (path === undefined || path === '') return [];
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CatalogFileError(CATALOG_FILE_VARIABLE, `cannot read ${shown(path)} (${reason})`);
  }
  return parseCatalogFile(text, takenScopes);
}

/** LATCHKEY_PARTNER_API: on (default) or off. */
export function parsePartnerApi(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new CatalogFileError(PARTNER_API_VARIABLE, `${shown(raw)} is not allowed; use on or off`);
}

/**
 * The issuer is known only once settings are parsed: an operator resource may not be the issuer
 * itself nor the built-in resource at `$ISSUER/api`. Returns the first problem, if any.
 */
export function resourceClashWithIssuer(resources: readonly CatalogFileResource[], issuer: string, builtin: string): CatalogProblem | undefined {
  const trim = (url: string) => url.replace(/\/+$/, '');
  const index = resources.findIndex((r) => trim(r.resource) === trim(issuer) || trim(r.resource) === trim(builtin));
  if (index === -1) return undefined;
  return {
    field: `${CATALOG_FILE_VARIABLE} resources[${index}].resource`,
    problem: `${shown(resources[index]!.resource)} is Latchkey's own (the issuer or the built-in API at ${builtin}); declare your API's own URL`,
  };
}
