// Dynamic client registration (RFC 7591) under LATCHKEY_REGISTRATION (docs/agents.md):
// - `token`: an account's initial access token (made by `latchkey registration-token create`)
//   registers a client of that account, in the token's environment, verified;
// - `open`: anyone registers, as a client of the operator account, live, unverified until the
//   operator verifies it (server/agents/): it may ask for self-serve scopes only (server/oidc/tier.ts).
// Registered clients are public (`none`) or `private_key_jwt` with a JWK Set: no secret is ever made,
// stored or echoed. Latchkey's own metadata (`urn:latchkey:*`) is never taken from a request. The
// client is stored as a Latchkey client (the adapter calls clientFromRegistration), so every other
// path (scope policy, token claims, the portal) reads it as any other. Management of a registered
// client (RFC 7592) is later work: no registration access token is issued.
import { errors, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
import type { ClientRecord, Environment, Store } from '../../adapters/contract.ts';
import { ValidationError } from '../../config/errors.ts';
import { CLIENT_TYPE_SCOPES, NON_CONSENT_SCOPE_NAMES, SCOPE_NAMES, SELF_SERVE_SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';
import { REGISTERED_OPENLY, REGISTERED_WITH_TOKEN, isRegisteredOpenly } from '../../config/registration.ts';
import { redirectHostOf, type AgentRegistry } from '../agents/registry.ts';
import type { RegistrationPolicy } from '../../config/settings.ts';
import { checkName, checkRedirectUris, checkHomepage } from '../clients/input.ts';
import { ensureOperatorAccount } from '../clients/resource-servers.ts';
import { generateId } from '../secrets.ts';
import { clientMetadata } from './client-metadata.ts';
import { storageKey } from './storage-key.ts';

/** Ours alone: refused in any registration request or metadata document. */
export const LATCHKEY_PROPERTY = /^urn:latchkey:/;
/** The initial access token's policy, by environment: idFactory reads it synchronously. */
export const POLICY: Readonly<Record<Environment, string>> = { test: 'latchkey-test', live: 'latchkey-live' };
const AUTH_METHODS = new Set(['none', 'private_key_jwt']);

function refuse(description: string): never {
  throw new errors.InvalidClientMetadata(description);
}

/** The environment a registration goes to: the initial access token's, else (open) live. */
function environmentOf(ctx: KoaContextWithOIDC): Environment {
  const policies = (ctx.oidc.entities.InitialAccessToken as { policies?: string[] } | undefined)?.policies ?? [];
  return policies.includes(POLICY.test) ? 'test' : 'live';
}

/**
 * The scope a registration asks for, taken out of the request before oidc-provider reads it: it
 * knows only the protocol scopes (the API scopes are per resource), and would refuse every API
 * scope. clientFromRegistration applies it, by the tier.
 */
const requestedScopes = new WeakMap<object, string>();

/** What a request may not ask for, checked before oidc-provider makes anything (a secret above all). */
function checkRequest(body: Record<string, unknown>): void {
  const ours = Object.keys(body).find((key) => LATCHKEY_PROPERTY.test(key));
  if (ours) refuse(`${ours} is Latchkey's own client metadata and cannot be registered`);
  const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
  if (typeof method !== 'string' || !AUTH_METHODS.has(method)) {
    refuse('token_endpoint_auth_method must be none (a public client, with PKCE) or private_key_jwt (with jwks): no client secret is issued');
  }
  if (body.jwks_uri !== undefined) refuse('jwks_uri is not supported: give the public keys in jwks');
  if (method === 'private_key_jwt' && body.jwks === undefined) refuse('jwks is required with private_key_jwt');
}

export function registrationFeature(policy: RegistrationPolicy, store: Store) {
  return {
    enabled: policy !== 'off',
    initialAccessToken: policy === 'token',
    issueRegistrationAccessToken: false,
    idFactory(ctx: KoaContextWithOIDC): string {
      const body = ctx.oidc.body ?? {};
      checkRequest(body);
      if (body.scope !== undefined) {
        if (typeof body.scope !== 'string') refuse('scope must be a string of space-separated scope names');
        requestedScopes.set(ctx, body.scope);
        delete body.scope;
      }
      return generateId(`client_${environmentOf(ctx)}`);
    },
    // oidc-provider takes policies only with initial access tokens.
    policies: policy !== 'token' ? undefined : Object.fromEntries(Object.entries(POLICY).map(([environment, name]) => [name, async (ctx: KoaContextWithOIDC, properties: ClientMetadata) => {
      const token = ctx.oidc.entities.InitialAccessToken as { jti?: string } | undefined;
      const record = token?.jti ? await store.oidc.find('RegistrationTokenAccount', storageKey('InitialAccessToken', token.jti)) : undefined;
      if (typeof record?.accountId !== 'string') throw new errors.InvalidToken('initial access token not found');
      Object.assign(properties, { 'urn:latchkey:account_id': record.accountId, 'urn:latchkey:environment': environment });
    }])),
  };
}

/**
 * What a client that introduced itself (a registration, a metadata document) may hold: the scopes
 * users may grant a client of its type, within those it asked for (all of them when it named none).
 */
export function registrableScopes(type: 'public' | 'web', asked: readonly string[]): string[] {
  const allowed = CLIENT_TYPE_SCOPES[type].filter((s) => !NON_CONSENT_SCOPE_NAMES.has(s));
  return asked.length > 0 ? asked.filter((s) => allowed.includes(s)) : allowed;
}

/** Our input rules' field names, as RFC 7591 names the client metadata. */
const METADATA_FIELD: Readonly<Record<string, string>> = { name: 'client_name', homepageUrl: 'client_uri', homepage_url: 'client_uri' };

/** Runs one of our input rules on registered metadata: its refusal is invalid_client_metadata naming the field. */
export function asValidation(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) refuse(`${METADATA_FIELD[err.field] ?? err.field}: ${err.message}`);
    throw err;
  }
}

/** The Latchkey client a registration makes, from the metadata oidc-provider validated. */
export async function clientFromRegistration(
  store: Store, id: string, metadata: Record<string, unknown>, ctx: object | undefined, agents: AgentRegistry | undefined,
): Promise<ClientRecord> {
  const open = typeof metadata['urn:latchkey:account_id'] !== 'string';
  const accountId = open ? await ensureOperatorAccount(store) : String(metadata['urn:latchkey:account_id']);
  const environment: Environment = metadata['urn:latchkey:environment'] === 'test' ? 'test' : 'live';
  const type = metadata.token_endpoint_auth_method === 'none' ? 'public' : 'web';
  const redirectUris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
  asValidation(() => checkRedirectUris(redirectUris, type));
  const name = typeof metadata.client_name === 'string' ? metadata.client_name : 'Unnamed app';
  asValidation(() => checkName(name));
  const homepageUrl = typeof metadata.client_uri === 'string' ? metadata.client_uri : undefined;
  asValidation(() => checkHomepage(homepageUrl));
  const requested = parseScopeList(ctx ? requestedScopes.get(ctx) : undefined);
  const unknown = requested.find((scope) => !SCOPE_NAMES.has(scope));
  if (unknown) refuse(`scope: unknown scope ${unknown.replace(/[^\w:.-]/g, '')}; the scopes that exist are listed at /docs/scopes`);
  // While it is unverified, only the self-serve ones among them (server/oidc/tier.ts).
  const scopes = registrableScopes(type, requested);
  if (open && agents) {
    const blocked = await agents.blockedAmong(redirectUris.map(redirectHostOf));
    if (blocked) refuse(`redirect_uris: apps returning to ${blocked} are blocked by this server's operator`);
    const host = redirectUris[0] ? URL.parse(redirectUris[0])?.hostname ?? '' : '';
    await agents.see({ id, source: 'registration', name, type: type === 'public' ? 'public' : 'web', host, redirectUris });
  }
  const now = new Date();
  return {
    id, accountId, name, type, environment, scopes, redirectUris, postLogoutRedirectUris: [],
    authMethod: type === 'public' ? 'none' : 'private_key_jwt', secretHash: undefined, secrets: [],
    jwks: type === 'web' ? metadata.jwks as { keys: object[] } : undefined, homepageUrl, logoDigest: undefined, resource: undefined,
    createdBy: open ? REGISTERED_OPENLY : REGISTERED_WITH_TOKEN, createdAt: now, updatedAt: now, revision: 1,
  };
}

/**
 * The registration answer: the client as stored (RFC 7591 section 3.2.1 lets the server replace
 * values: the scopes the tier allows, the grant types and application type it gets), never
 * Latchkey's own properties.
 */
export function registrationAnswer(body: Record<string, unknown>, stored: ClientRecord | undefined): Record<string, unknown> {
  // Registered openly, it starts unverified: it may ask for the self-serve scopes only.
  const scopes = stored && isRegisteredOpenly(stored) ? stored.scopes.filter((s) => SELF_SERVE_SCOPE_NAMES.has(s)) : stored?.scopes;
  const mine = Object.fromEntries(Object.entries(body).filter(([key]) => !LATCHKEY_PROPERTY.test(key)));
  if (!stored) return mine;
  const metadata = clientMetadata(stored) as Record<string, unknown>;
  const kept = ['grant_types', 'response_types', 'token_endpoint_auth_method', 'redirect_uris', 'client_name', 'application_type', 'jwks'];
  return {
    ...mine, ...Object.fromEntries(kept.filter((key) => metadata[key] !== undefined).map((key) => [key, metadata[key]])),
    application_type: metadata.application_type ?? 'web', scope: (scopes ?? []).join(' '),
  };
}
