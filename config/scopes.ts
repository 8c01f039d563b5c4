// The scope catalog: the single source of truth for every scope Latchkey knows.
// Discovery, per-client allowed scopes, the consent page, API-key scopes, the Partner API's
// route guards and the docs all read this list. The built-in entries are below; the operator's own
// resources come from LATCHKEY_CATALOG_FILE (config/catalog-file.ts), read once when this module is
// first imported, and LATCHKEY_PARTNER_API=off leaves out the Partner API demo's scopes.
import { readFileSync } from 'node:fs';
import {
  CatalogFileError, SCOPE_NAME, parsePartnerApi, readCatalogFile, type CatalogFileResource, type CatalogProblem,
} from './catalog-file.ts';

export type ScopeAudience = 'api' | 'openid';

export interface ScopeDefinition {
  readonly name: string;
  /** One line a non-engineer understands; shown on the consent page. */
  readonly description: string;
  /** The integration this scope is meant for; shown in the docs. */
  readonly useCase: string;
  /** `api`: a Partner API permission (JWT `aud` = `$ISSUER/api`); `openid`: a protocol scope. */
  readonly audience: ScopeAudience;
  /**
   * Whether a user may grant it to a third-party web app on the consent page. Scopes that manage the
   * account itself (its keys, its apps) are false: only the account's own service clients, API keys
   * and portal sessions hold them.
   */
  readonly consent: boolean;
  /**
   * Whether an unverified client (registered openly, or known only by a client ID metadata
   * document) may ask for it: reads a user would grant an app nobody vouched for. False unless said.
   */
  readonly selfServe?: boolean;
  /** For an operator's scope (LATCHKEY_CATALOG_FILE): its resource, an absolute URL. Unset: the built-in API. */
  readonly resource?: string;
}

/**
 * The Partner API demo's scopes: left out of the catalog with LATCHKEY_PARTNER_API=off. Not
 * write:webhooks: webhooks carry Latchkey's own credential and security events too, so they stay.
 */
export const PARTNER_API_DEMO_SCOPE_NAMES: readonly string[] = ['read:contacts', 'write:contacts', 'read:events', 'read:billing'];

/** The built-in catalog, whatever the environment says: what the committed docs are generated from. */
export const DEFAULT_SCOPES: readonly ScopeDefinition[] = [
  {
    name: 'read:contacts',
    description: 'See your contacts',
    useCase: 'A CRM sync that imports your contacts',
    audience: 'api',
    consent: true,
    selfServe: true,
  },
  {
    name: 'write:contacts',
    description: 'Create, change and delete your contacts',
    useCase: 'A two-way sync or a form integration',
    audience: 'api',
    consent: true,
  },
  {
    name: 'read:events',
    description: 'See the activity on your account',
    useCase: 'An analytics or reporting integration',
    audience: 'api',
    consent: true,
    selfServe: true,
  },
  {
    name: 'write:webhooks',
    description: 'Register and remove webhooks that notify the app of changes and security events',
    useCase: 'Any integration that needs push updates, or a security tool that hears of leaked credentials',
    audience: 'api',
    consent: true,
  },
  {
    name: 'read:billing',
    description: 'See your invoices and subscriptions',
    useCase: 'A finance or reconciliation tool',
    audience: 'api',
    consent: true,
  },
  {
    name: 'read:api_keys',
    description: 'See your API keys (names, scopes and last use, never the keys themselves)',
    useCase: 'An inventory or audit tool',
    audience: 'api',
    consent: true,
  },
  {
    name: 'write:api_keys',
    description: 'Create, roll and revoke your API keys',
    useCase: 'Automated key rotation',
    audience: 'api',
    consent: true,
  },
  {
    name: 'read:clients',
    description: 'See your OAuth apps (names, scopes and redirect addresses, never their secrets)',
    useCase: 'An inventory or audit tool run by the account itself',
    audience: 'api',
    consent: false,
  },
  {
    name: 'write:clients',
    description: 'Register, change, rotate the secrets of and delete your OAuth apps',
    useCase: 'Automated client secret rotation by the account itself',
    audience: 'api',
    consent: false,
  },
  {
    name: 'read:audit',
    description: 'Read your account\'s audit log: who changed which key or app, and when',
    useCase: 'A security review or SIEM export run by the account itself',
    audience: 'api',
    consent: false,
  },
  {
    name: 'read:members',
    description: 'See your account\'s members, their roles and pending invitations',
    useCase: 'A directory sync or access review run by the account itself',
    audience: 'api',
    consent: false,
  },
  {
    name: 'openid',
    description: 'Know who you are (your user id)',
    useCase: 'Sign-in with Latchkey: the app receives an ID token',
    audience: 'openid',
    consent: true,
    selfServe: true,
  },
  {
    name: 'email',
    description: 'See your email address',
    useCase: 'Sign-in that greets the user, or writes to them: the app gets the email from userinfo or the ID token',
    audience: 'openid',
    consent: true,
  },
  {
    name: 'offline_access',
    description: 'Keep access when you are not using the app',
    useCase: 'Background syncs: the app receives a refresh token',
    audience: 'openid',
    consent: true,
    selfServe: true,
  },
];

/** Throws when the catalog itself is malformed; called once at boot. */
export function validateScopeCatalog(catalog: readonly ScopeDefinition[]): void {
  const seen = new Set<string>();
  for (const scope of catalog) {
    if (!SCOPE_NAME.test(scope.name)) throw new Error(`scope catalog: "${scope.name}" is not a valid scope name`);
    if (seen.has(scope.name)) throw new Error(`scope catalog: "${scope.name}" is listed twice`);
    if (!scope.description.trim()) throw new Error(`scope catalog: "${scope.name}" has no description`);
    if (!scope.useCase.trim()) throw new Error(`scope catalog: "${scope.name}" has no use case`);
    if (typeof scope.consent !== 'boolean') throw new Error(`scope catalog: "${scope.name}" must say whether it is consentable (consent: true or false)`);
    seen.add(scope.name);
  }
}

interface LoadedCatalog {
  readonly partnerApi: boolean;
  readonly resources: readonly CatalogFileResource[];
  readonly problem?: CatalogProblem;
}

/** Reads the environment once; a problem is kept for loadSettings() to stop the boot with. */
function loadCatalog(): LoadedCatalog {
  try {
    const partnerApi = parsePartnerApi(process.env.LATCHKEY_PARTNER_API);
    const read = (path: string) => readFileSync(path, 'utf8');
    return { partnerApi, resources: readCatalogFile(process.env.LATCHKEY_CATALOG_FILE, read, DEFAULT_SCOPES.map((s) => s.name)) };
  } catch (err) {
    if (!(err instanceof CatalogFileError)) throw err;
    return { partnerApi: true, resources: [], problem: { field: err.field, problem: err.problem } };
  }
}

const LOADED = loadCatalog();

/** LATCHKEY_PARTNER_API: on (default) or off; the Partner API's /api/v1 routes are mounted only when on. */
export const PARTNER_API_ENABLED: boolean = LOADED.partnerApi;
/** The operator's resources from LATCHKEY_CATALOG_FILE, as read at import. */
export const OPERATOR_RESOURCES: readonly CatalogFileResource[] = LOADED.resources;
/** What was wrong with LATCHKEY_CATALOG_FILE or LATCHKEY_PARTNER_API; loadSettings() stops the boot with it. */
export const CATALOG_PROBLEM: CatalogProblem | undefined = LOADED.problem;

function operatorScopes(resources: readonly CatalogFileResource[]): ScopeDefinition[] {
  return resources.flatMap((r) => r.scopes.map((s) => ({ ...s, audience: 'api' as const, resource: r.resource })));
}

/** The running catalog: the built-in API's scopes, then the operator's, then the protocol scopes. */
export const SCOPES: readonly ScopeDefinition[] = [
  ...DEFAULT_SCOPES.filter((s) => s.audience === 'api' && (PARTNER_API_ENABLED || !PARTNER_API_DEMO_SCOPE_NAMES.includes(s.name))),
  ...operatorScopes(OPERATOR_RESOURCES),
  ...DEFAULT_SCOPES.filter((s) => s.audience === 'openid'),
];

export const SCOPE_NAMES: ReadonlySet<string> = new Set(SCOPES.map((s) => s.name));
export const API_SCOPE_NAMES: readonly string[] = SCOPES.filter((s) => s.audience === 'api').map((s) => s.name);
export const OPENID_SCOPE_NAMES: readonly string[] = SCOPES.filter((s) => s.audience === 'openid').map((s) => s.name);

/** Scopes an unverified client may ask for (the trust tiers of docs/agents.md); the rest need a verified one. */
export const SELF_SERVE_SCOPE_NAMES: ReadonlySet<string> = new Set(SCOPES.filter((s) => s.selfServe === true).map((s) => s.name));

/** Scopes a web app can never obtain (not registrable on one, refused at /authorize and /token). */
export const NON_CONSENT_SCOPE_NAMES: ReadonlySet<string> = new Set(SCOPES.filter((s) => !s.consent).map((s) => s.name));

export function describeScope(name: string): ScopeDefinition | undefined {
  return SCOPES.find((s) => s.name === name);
}

/** Splits a space-separated scope string, dropping empty parts and duplicates. */
export function parseScopeList(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(' ').filter(Boolean))];
}

/** Which scopes each kind of client may hold. */
export const CLIENT_TYPE_SCOPES = {
  service: API_SCOPE_NAMES,
  web: [...API_SCOPE_NAMES.filter((s) => !NON_CONSENT_SCOPE_NAMES.has(s)), ...OPENID_SCOPE_NAMES],
  /** An app on the user's device (desktop, mobile, command line, an AI agent): no secret, PKCE, a user's consent. */
  public: [...API_SCOPE_NAMES.filter((s) => !NON_CONSENT_SCOPE_NAMES.has(s)), ...OPENID_SCOPE_NAMES],
  /** An operator's API: it holds no scopes, it introspects the credentials sent to its resource. */
  resource_server: [],
} as const satisfies Record<string, readonly string[]>;

export type ClientType = keyof typeof CLIENT_TYPE_SCOPES;

/** Clients a user signs in to and consents for (the authorization code flow): web apps and public clients. */
export function isUserFacing(type: ClientType): type is 'web' | 'public' {
  return type === 'web' || type === 'public';
}

/** A protected API: its resource indicator (RFC 8707, the JWT `aud`) and the scopes it defines. */
export interface ResourceDefinition {
  /** An absolute URL; the built-in API's is a path resolved against the issuer (resourceUrl). */
  readonly resource: string;
  readonly name: string;
  readonly scopes: readonly string[];
}

/** The built-in API (the Partner API demo and Latchkey's own management API), at `$ISSUER/api`. */
export const BUILTIN_RESOURCE = '/api';

/** Every protected API: the built-in one first, then the operator's in file order. */
export const RESOURCES: readonly ResourceDefinition[] = [
  { resource: BUILTIN_RESOURCE, name: 'Partner API', scopes: SCOPES.filter((s) => s.audience === 'api' && !s.resource).map((s) => s.name) },
  ...OPERATOR_RESOURCES.map((r) => ({ resource: r.resource, name: r.name, scopes: r.scopes.map((s) => s.name) })),
];

/** The resource indicator as tokens carry it in `aud`. */
export function resourceUrl(resource: string, issuer: string): string {
  return resource.startsWith('/') ? `${issuer}${resource}` : resource;
}

/** The resource (absolute) a scope belongs to; undefined for protocol scopes and unknown names. */
export function resourceOfScope(scope: string, issuer: string): string | undefined {
  const found = RESOURCES.find((r) => r.scopes.includes(scope));
  return found ? resourceUrl(found.resource, issuer) : undefined;
}

export function findResource(resource: string, issuer: string): ResourceDefinition | undefined {
  return RESOURCES.find((r) => resourceUrl(r.resource, issuer) === resource);
}

/** The scopes a resource (absolute) defines; none when unknown. */
export function scopesOfResource(resource: string, issuer: string): readonly string[] {
  return findResource(resource, issuer)?.scopes ?? [];
}

/** The heading protocol scopes (openid, offline_access) get where scopes are grouped by resource. */
export const PROTOCOL_SCOPE_GROUP = 'Sign-in and background access';

/**
 * The name of the resource a scope belongs to, for pages that group scopes by resource (protocol
 * scopes: PROTOCOL_SCOPE_GROUP); undefined while the built-in API is the only resource.
 */
export function scopeGroupOf(scope: string): string | undefined {
  if (RESOURCES.length < 2) return undefined;
  return RESOURCES.find((r) => r.scopes.includes(scope))?.name ?? PROTOCOL_SCOPE_GROUP;
}
