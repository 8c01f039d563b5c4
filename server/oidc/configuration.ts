// oidc-provider configuration, built from config/ (scopes, lifetimes) and the running store.
// Every choice here is deliberate; the comments say why where the default differs.
import type { Configuration } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';
import type { Store } from '../../adapters/contract.ts';
import { AGENT_PROPERTY, SECRETS_PROPERTY } from './client-metadata.ts';
import { describeDocumentClient, documentFetch, explainFetchFailure, isMetadataDocumentId, metadataDocumentFeature, type FetchLimit } from './metadata-documents.ts';
import { applyTier } from './tier.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { createAdapterClass, type AdapterOptions } from './adapter.ts';
import { refuseUngrantedResource } from './before-consume.ts';
import { checkClientAssertion } from './client-assertion.ts';
import { registrationFeature } from './registration.ts';
import { assertScopesOfResource, oneKnownIndicator, resourceForScopes } from './resource.ts';
import { restoreOfflineAccess, scopeAsRequested } from './offline-access.ts';
import { allowedScopesOf, assertScopesAllowed } from './scope-policy.ts';
import { accessTokenClaims } from './token-claims.ts';
import { renderLoggedOut, renderLogout, renderOidcError } from '../http/views.ts';
import type { KeyMaterial } from '../keys.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { OPENID_SCOPE_NAMES, SELF_SERVE_SCOPE_NAMES, parseScopeList, scopesOfResource } from '../../config/scopes.ts';

/**
 * On an https issuer every cookie is Secure and its name prefixed, so browsers refuse one planted by a
 * sibling subdomain or a plain-http response: `__Host-` for the session cookie (Path=/, host-only),
 * `__Secure-` for the interaction and resume cookies (scoped to /interaction/<uid> and /auth/<uid>).
 * On an http (localhost) issuer browsers would refuse the prefixes, so oidc-provider's names stay.
 */
function cookieSettings(issuer: string, keys: string[]): NonNullable<Configuration['cookies']> {
  const secure = issuer.startsWith('https:');
  const names = secure
    ? { session: '__Host-session', interaction: '__Secure-interaction', resume: '__Secure-interaction_resume' }
    : { session: '_session', interaction: '_interaction', resume: '_interaction_resume' };
  return {
    keys,
    names,
    long: { httpOnly: true, sameSite: 'lax', secure },
    short: { httpOnly: true, sameSite: 'lax', secure },
  };
}

/**
 * The store's adapter, plus one check before a code or refresh token is spent: a request naming
 * another resource than the granted one is refused first (server/oidc/before-consume.ts).
 */
function grantedResourceAdapter(store: Store, options: AdapterOptions) {
  return class GrantedResourceAdapter extends createAdapterClass(store, options) {
    override async consume(id: string): Promise<void> {
      const ctx = Provider.ctx;
      if (this.name === 'RefreshToken') refuseUngrantedResource(ctx, ctx?.oidc?.entities.RefreshToken);
      if (this.name === 'AuthorizationCode' && ctx?.oidc?.params?.resource !== undefined) refuseUngrantedResource(ctx, await this.find(id));
      return super.consume(id);
    }
  };
}

/** Every requested scope is an OpenID one (and there is one): the request names no API. */
function isOpenIdOnly(scope: string | undefined): boolean {
  const scopes = parseScopeList(scope);
  return scopes.length > 0 && scopes.every((s) => OPENID_SCOPE_NAMES.includes(s));
}

/** Asymmetric algorithms only: client secrets are stored hashed, so HS* cannot be verified. */
const SIGNING_ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA'] as const;

/** Apps nobody registered in the portal: their registry, and whether a client_id may name a metadata document. */
export interface AgentOptions {
  readonly registry: AgentRegistry | undefined;
  readonly clientIdMetadata: boolean;
  /** Every outbound request oidc-provider makes (server/http/outbound-fetch.ts). */
  readonly fetch: NonNullable<Configuration['fetch']>;
  /** Counts a document fetch per network address (server/limits/metadata-documents.ts). */
  readonly countFetch: FetchLimit;
}

const EXTRA_PROPERTIES = ['urn:latchkey:account_id', 'urn:latchkey:environment', 'urn:latchkey:allowed_scopes', SECRETS_PROPERTY, AGENT_PROPERTY];

export function providerConfiguration(issuer: string, store: Store, keys: KeyMaterial, adapter: AdapterOptions, agents: AgentOptions): Configuration {
  const scopesDocs = `${issuer}/docs/scopes`;

  return {
    adapter: grantedResourceAdapter(store, adapter),
    jwks: { keys: keys.jwks.keys },
    cookies: cookieSettings(issuer, keys.cookieKeys),

    // none: public clients (apps on the user's device), which prove each request with PKCE.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    assertJwtClientAuthClaimsAndHeader: (ctx, claims) => checkClientAssertion(ctx, claims),
    enabledJWA: {
      clientAuthSigningAlgValues: [...SIGNING_ALGS],
      requestObjectSigningAlgValues: [...SIGNING_ALGS],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    extraClientMetadata: {
      properties: EXTRA_PROPERTIES,
      // Ours alone: the scope policy and the token claims trust these, so none may come from a request.
      validator(ctx, key, _value, metadata) {
        if (isMetadataDocumentId(metadata.client_id)) {
          if (key === EXTRA_PROPERTIES[0]) describeDocumentClient(metadata, agents.registry!.operatorAccountId, ctx ?? Provider.ctx);
          return;
        }
        // Only a registration's body describes a client; any other request's parameters are not metadata.
        const body = ctx?.oidc?.route === 'registration' ? ctx.oidc.body : undefined;
        if (body && Object.hasOwn(body, key)) throw new errors.InvalidClientMetadata(`${key} is Latchkey's own client metadata and cannot be registered`);
      },
    },

    responseTypes: ['code'],
    // redirect_uri is required at /auth, /request and /token even for a client with one registered
    // (OAuth 2.1); oidc-provider's default lets it be omitted.
    allowOmittingSingleRegisteredRedirectUri: false,
    // PKCE for every client; oidc-provider 9 accepts only the S256 method.
    pkce: { required: () => true },
    scopes: [...OPENID_SCOPE_NAMES],
    // With openid, the ID token says how (amr: pwd, then otp with a second factor) and when the user signed in.
    claims: { openid: ['sub', 'amr', 'auth_time'], email: ['email', 'email_verified'] },
    // The ID token carries the claims of its scopes (email) even when an access token is issued too.
    conformIdTokenClaims: false,

    ttl: {
      AccessToken: LIFETIMES.accessToken,
      AuthorizationCode: LIFETIMES.authorizationCode,
      ClientCredentials: LIFETIMES.accessToken,
      Grant: LIFETIMES.grant,
      IdToken: LIFETIMES.idToken,
      Interaction: LIFETIMES.interaction,
      PushedAuthorizationRequest: LIFETIMES.pushedAuthorizationRequest,
      RefreshToken: LIFETIMES.refreshToken,
      Session: LIFETIMES.session,
    },

    // Every use rotates; the store's atomic consume makes a replay or a race revoke the grant.
    rotateRefreshToken: true,
    // Offline access outlives the browser session by design.
    expiresWithSession: async () => false,
    // A refresh token when the client may refresh and the request carries offline_access, which
    // the user granted on the consent page (see server/oidc/offline-access.ts for why it survives
    // without prompt=consent).
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Remember consent across browser sessions: reuse the user's newest grant for this client.
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId
        ?? oidc.session?.grantIdFor(oidc.client!.clientId)
        ?? (oidc.session?.accountId
          ? await store.oidc.findGrantId(oidc.session.accountId, oidc.client!.clientId)
          : undefined);
      return grantId ? oidc.provider.Grant.find(grantId) : undefined;
    },

    findAccount: async (_ctx, sub) => {
      const user = await store.findUser(sub);
      return user ? {
        accountId: user.id, organisation: user.accountId,
        claims: async () => ({ sub: user.id, email: user.email, email_verified: Boolean(user.emailVerifiedAt) }),
      } : undefined;
    },
    extraTokenClaims: async (ctx, token) => accessTokenClaims(ctx, token),

    fetch: documentFetch(agents.fetch),
    fetchResponseBodyLimits: { 'client_id metadata document': LIMITS.metadataDocumentMaxBytes, jwks_uri: 64 * 1024, sector_identifier_uri: 64 * 1024 },

    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => renderOidcError(ctx, explainFetchFailure(ctx, out)),

    features: {
      registration: registrationFeature(adapter.registration ?? 'off', store),
      clientIdMetadataDocument: metadataDocumentFeature(agents.clientIdMetadata, agents.registry, agents.countFetch),
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may introspect only its own tokens.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      pushedAuthorizationRequests: { enabled: true },
      // The resource-server guard does not verify DPoP proofs yet (docs/tokens.md says so).
      dPoP: { enabled: false },
      // A request whose scopes are all OpenID ones (openid, email, offline_access) gets an access token
      // with no audience (defaultResource below), which userinfo accepts; one naming an API gets its JWT.
      userinfo: { enabled: true },
      // Ends this browser's login session (end_session_endpoint); "sign out everywhere" in the portal
      // ends the user's sessions on every browser (server/accounts/user-sessions.ts).
      rpInitiatedLogout: { enabled: true, logoutSource: renderLogout, postLogoutSuccessSource: renderLoggedOut },
      // One audience per token (server/oidc/resource.ts): the resource named, or the one the scopes belong to.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => {
          const requested = scopeAsRequested(ctx);
          if (!oneOf && isOpenIdOnly(requested)) {
            // No API, no audience: userinfo's token. The checks getResourceServerInfo makes for an API's.
            await applyTier(client, requested, agents.registry, scopesDocs);
            assertScopesAllowed(requested, client, scopesDocs, false);
            restoreOfflineAccess(ctx, requested);
            return undefined;
          }
          if (!oneOf) return resourceForScopes(requested, issuer);
          // A code or refresh granted (by an older release) for several resources: the one the scopes name.
          const wanted = resourceForScopes(requested, issuer);
          return oneOf.includes(wanted) ? wanted : oneOf[0]!;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator, client) => {
          // Known, and the only one the request names (a code or refresh names none: the granted one).
          oneKnownIndicator(ctx.oidc.params?.resource ?? indicator, issuer);
          // At the token endpoint only client credentials must name scopes; a code or refresh
          // request without `scope` means "what was granted".
          const scopeRequired = ctx.oidc.route !== 'token' || ctx.oidc.params?.grant_type === 'client_credentials';
          const requested = scopeAsRequested(ctx);
          const unverified = await applyTier(client, requested, agents.registry, scopesDocs);
          assertScopesAllowed(requested, client, scopesDocs, scopeRequired);
          assertScopesOfResource(requested, indicator, issuer);
          restoreOfflineAccess(ctx, requested);
          const allowed = allowedScopesOf(client);
          return {
            scope: scopesOfResource(indicator, issuer).filter((s) => allowed.has(s) && (!unverified || SELF_SERVE_SCOPE_NAMES.has(s))).join(' '),
            audience: indicator,
            accessTokenTTL: LIFETIMES.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  };
}
