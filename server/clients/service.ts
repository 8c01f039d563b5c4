// OAuth clients: `service` clients use client credentials, `web` clients the authorization code
// flow with refresh. Secrets are generated here, returned once, and stored only as an HMAC.
import type { ClientRecord, ClientStore, AccountStore, Environment } from '../../adapters/contract.ts';
import { CLIENT_TYPE_SCOPES, SCOPE_NAMES, parseScopeList, type ClientType } from '../../config/scopes.ts';
import { ValidationError } from '../accounts/service.ts';
import { generateId, generateSecret, type Pepper } from '../secrets.ts';

export interface CreateClientInput {
  accountId: string;
  name: string;
  type: string;
  scopes: string;
  redirectUris?: readonly string[];
  environment?: string;
  /** A public JWK Set: the client authenticates with private_key_jwt instead of a secret. */
  jwks?: { keys: object[] };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Exact-match redirect URIs: https, or http on a loopback host; no fragment. */
export function checkRedirectUri(value: string): string {
  const url = URL.parse(value);
  if (!url) throw new ValidationError('redirect_uri', `"${value}" is not an absolute URL`);
  if (url.hash) throw new ValidationError('redirect_uri', `"${value}" must not contain a fragment`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new ValidationError('redirect_uri', `"${value}" must use https (http is allowed only for localhost)`);
  }
  return value;
}

function checkType(value: string): ClientType {
  if (value !== 'service' && value !== 'web') throw new ValidationError('type', 'type must be service or web');
  return value;
}

function checkEnvironment(value: string | undefined): Environment {
  const env = value ?? 'test';
  if (env !== 'test' && env !== 'live') throw new ValidationError('env', 'env must be test or live');
  return env;
}

function checkScopes(value: string, type: ClientType): string[] {
  const scopes = parseScopeList(value);
  if (scopes.length === 0) throw new ValidationError('scopes', 'give at least one scope');
  const allowed: readonly string[] = CLIENT_TYPE_SCOPES[type];
  for (const scope of scopes) {
    if (!SCOPE_NAMES.has(scope)) throw new ValidationError('scopes', `unknown scope "${scope}"`);
    if (!allowed.includes(scope)) throw new ValidationError('scopes', `a ${type} client cannot hold "${scope}"`);
  }
  return scopes;
}

function checkJwks(jwks: CreateClientInput['jwks']): { keys: object[] } | undefined {
  if (jwks === undefined) return undefined;
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new ValidationError('jwks', 'jwks must be a JWK Set with at least one public key');
  }
  if (jwks.keys.some((k) => typeof k !== 'object' || k === null || 'd' in k || (k as { kty?: string }).kty === 'oct')) {
    throw new ValidationError('jwks', 'jwks must hold public asymmetric keys only');
  }
  return jwks;
}

export async function createClient(
  store: ClientStore & AccountStore,
  pepper: Pepper,
  input: CreateClientInput,
): Promise<{ clientId: string; clientSecret: string | undefined }> {
  if (!await store.findAccount(input.accountId)) throw new ValidationError('account', `no account "${input.accountId}"`);
  const name = input.name.trim();
  if (!name || name.length > 200) throw new ValidationError('name', 'name must be 1 to 200 characters');
  const type = checkType(input.type);
  const environment = checkEnvironment(input.environment);
  const scopes = checkScopes(input.scopes, type);
  const redirectUris = [...new Set((input.redirectUris ?? []).map(checkRedirectUri))];
  if (type === 'web' && redirectUris.length === 0) {
    throw new ValidationError('redirect_uri', 'a web client needs at least one redirect URI');
  }
  if (type === 'service' && redirectUris.length > 0) {
    throw new ValidationError('redirect_uri', 'a service client has no redirect URIs');
  }
  const jwks = checkJwks(input.jwks);
  const clientSecret = jwks ? undefined : generateSecret();
  const record: ClientRecord = {
    id: generateId(`client_${environment}`),
    accountId: input.accountId,
    name,
    type,
    environment,
    scopes,
    redirectUris,
    authMethod: jwks ? 'private_key_jwt' : 'client_secret_basic',
    secretHash: clientSecret ? pepper.hash(clientSecret) : undefined,
    jwks,
    createdAt: new Date(),
  };
  await store.createClient(record);
  return { clientId: record.id, clientSecret };
}
