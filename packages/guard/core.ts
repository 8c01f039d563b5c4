// The guard for an operator's resource server: one principal from an Authorization header, whether
// it carries an access token (verified here against the issuer's JWKS) or an API key (introspected
// at Latchkey, briefly cached). Koa and Express adapters (koa.ts, express.ts) render its errors.
import { createRemoteJWKSet } from 'jose';
import { GUARD_LIFETIMES, GuardError } from './errors.ts';
import { ACCESS_TOKEN_ALGORITHMS, AccessTokenError, DEFAULT_ACCESS_TOKEN_ALGORITHMS, verifyAccessToken } from './access-token.ts';
import { wellFormedApiKey } from './api-key.ts';
import { joseKeySet, type JwsHeader } from './jws.ts';
import { bearerCredential, checkScope, DEFAULT_REALM, errorResponse, invalidToken, isApiKey, type ErrorResponse } from './challenges.ts';
import { createIntrospectionClient } from './introspection.ts';
import type { Principal } from './principal.ts';
import { protectedResourceMetadata, resourceMetadataUrl } from './resource-metadata.ts';

export interface GuardOptions {
  /** Latchkey's issuer, exactly as in its tokens' `iss` (no trailing slash). */
  issuer: string;
  /** This API's resource indicator, as declared in the catalog: the `aud` its tokens carry. */
  resource: string;
  /** The scopes this API defines (its catalog entry): requireScope refuses any other name at start-up. */
  scopes?: readonly string[];
  /** The resource-server credential (`latchkey resource-server create`). */
  introspection: { clientId: string; clientSecret: string; endpoint?: string };
  /** How long an active API-key answer is reused; the bound on how long a revocation takes to arrive here. */
  cacheSeconds?: number;
  /** `$ISSUER/jwks` unless set. */
  jwksUri?: string;
  /** Called when Latchkey could not be reached (the request gets a 503); for the server's log. */
  onError?: (error: Error) => void;
  realm?: string;
  /** The resource's metadata document (RFC 9728) named in every challenge; derived from `resource` unless set. */
  resourceMetadataUrl?: string;
  /** The API's name in its metadata document. */
  resourceName?: string;
  /**
   * The scope a request without a credential is told to ask for (`scope="…"` in the 401's
   * challenge, RFC 6750 section 3): what a new client, an MCP client say, requests first.
   */
  challengeScope?: string;
  /** The signing algorithms accepted: ES256 (what Latchkey signs access tokens with) unless set. */
  algorithms?: readonly ('ES256' | 'RS256' | 'PS256' | 'EdDSA')[];
  /** The longest lifetime (exp - iat) an access token may claim, in seconds; an hour unless set. */
  maxTokenLifetimeSeconds?: number;
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new Error(`createGuard: ${name} must be an absolute URL`);
  return value;
}

function checkOptions(options: GuardOptions): void {
  checkUrl('issuer', options.issuer);
  checkUrl('resource', options.resource);
  if (options.jwksUri !== undefined) checkUrl('jwksUri', options.jwksUri);
  if (options.resourceMetadataUrl !== undefined) checkUrl('resourceMetadataUrl', options.resourceMetadataUrl);
  if (options.introspection?.endpoint !== undefined) checkUrl('introspection.endpoint', options.introspection.endpoint);
  for (const alg of options.algorithms ?? []) {
    if (!(ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) throw new Error(`createGuard: algorithms may hold ${ACCESS_TOKEN_ALGORITHMS.join(', ')} only, not ${String(alg)}`);
  }
  if (!options.introspection?.clientId || !options.introspection.clientSecret) {
    throw new Error('createGuard: introspection.clientId and introspection.clientSecret are required (latchkey resource-server create)');
  }
  const { cacheSeconds } = options;
  const max = GUARD_LIFETIMES.introspectionCacheMax;
  if (cacheSeconds !== undefined && !(Number.isInteger(cacheSeconds) && cacheSeconds >= 0 && cacheSeconds <= max)) {
    throw new Error(`createGuard: cacheSeconds must be a whole number of seconds from 0 to ${max}`);
  }
}

/** Which guard made a principal: requireScope needs its issuer and realm, and nothing else carries them. */
const issuedBy = new WeakMap<Principal, GuardCore>();

export function createGuardCore(options: GuardOptions) {
  checkOptions(options);
  const realm = options.realm ?? DEFAULT_REALM;
  const issuer = options.issuer;
  // jose fetches, caches and refreshes the JWKS; the verification itself is node:crypto's (jws.ts).
  const remote = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/jwks`));
  const keys = joseKeySet((header: JwsHeader) => remote(header as Parameters<typeof remote>[0]));
  const introspection = createIntrospectionClient({
    endpoint: options.introspection.endpoint ?? `${issuer}/token/introspection`,
    clientId: options.introspection.clientId,
    clientSecret: options.introspection.clientSecret,
    cacheSeconds: options.cacheSeconds ?? GUARD_LIFETIMES.introspectionCache,
    negativeCacheSeconds: GUARD_LIFETIMES.introspectionNegativeCache,
    onError: options.onError,
  });
  const declared = options.scopes ? new Set(options.scopes) : undefined;
  const metadataUrl = options.resourceMetadataUrl ?? resourceMetadataUrl(options.resource);

  async function fromApiKey(key: string): Promise<Principal> {
    if (!wellFormedApiKey(key)) throw invalidToken('the API key is malformed (its checksum does not match)', undefined, realm);
    const principal = await introspection.principalOf(key);
    // Revoked, expired, unknown and another resource's keys look the same from here, on purpose.
    if (!principal) throw invalidToken('the API key is not active for this API', undefined, realm);
    return principal;
  }

  async function fromAccessToken(token: string): Promise<Principal> {
    try {
      const { principal } = await verifyAccessToken(token, keys, {
        issuer, audience: options.resource, algorithms: options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS, realm,
        clockToleranceSeconds: GUARD_LIFETIMES.accessTokenClockSkew,
        maxLifetimeSeconds: options.maxTokenLifetimeSeconds ?? GUARD_LIFETIMES.accessTokenMaxLifetime,
      });
      return principal;
    } catch (err) {
      if (err instanceof AccessTokenError) throw err.error;
      throw err;
    }
  }

  const core = {
    issuer,
    resource: options.resource,
    realm,
    /** The principal of an Authorization header value; throws the GuardError to answer. */
    async authenticate(authorization: string | undefined): Promise<Principal> {
      const credential = bearerCredential(authorization, realm);
      const principal = await (isApiKey(credential) ? fromApiKey(credential) : fromAccessToken(credential));
      issuedBy.set(principal, core);
      return principal;
    },
    /** Throws 403 naming the scope unless the principal holds it. */
    requireScope(principal: Principal, scope: string): void {
      checkScope(principal, scope, issuer, realm);
    },
    /** Fails at start-up on a scope this API does not define (a typo would otherwise refuse everyone). */
    checkScopeName(scope: string): void {
      if (declared && !declared.has(scope)) throw new Error(`requireScope: "${scope}" is not one of this API's scopes (${[...declared].join(', ')})`);
    },
    errorResponse(err: GuardError): ErrorResponse {
      const response = errorResponse(err, issuer, metadataUrl);
      const challenge = response.headers['WWW-Authenticate'];
      if (options.challengeScope && err.code === 'missing_credential' && challenge) {
        response.headers['WWW-Authenticate'] = `${challenge}, scope="${options.challengeScope.replace(/["\\]/g, '')}"`;
      }
      return response;
    },
    /** The resource's metadata document (RFC 9728) and the path to serve it at, on the resource's origin. */
    resourceMetadata(): { path: string; document: Record<string, unknown> } {
      return {
        path: new URL(metadataUrl).pathname,
        document: protectedResourceMetadata({
          resource: options.resource, issuer, scopes: options.scopes ?? [], name: options.resourceName,
        }),
      };
    },
  };
  return core;
}

export type GuardCore = ReturnType<typeof createGuardCore>;

/** The guard that authenticated a principal; undefined for one it did not make. */
export function guardOf(principal: Principal | undefined): GuardCore | undefined {
  return principal ? issuedBy.get(principal) : undefined;
}

/** The response for anything the guard threw; undefined for errors that are not ours (a bug: let the framework handle it). */
export function guardErrorResponse(core: GuardCore, err: unknown): ErrorResponse | undefined {
  return err instanceof GuardError ? core.errorResponse(err) : undefined;
}
