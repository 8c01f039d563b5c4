// The authorization server: oidc-provider built from our configuration, then our hooks on it in one
// ordered list. Order matters twice: provider.use middleware run in list order (the first is the
// outermost), and listeners of one event (grant.error, server_error) run in list order too.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { rememberOidcClients } from '../http/request-id.ts';
import { limitClientAuthentication } from '../limits/client-auth.ts';
import { limitOpenRegistration } from '../limits/registration.ts';
import { metadataFetchLimit } from '../limits/metadata-documents.ts';
import { countTokenAnswers } from '../metrics/instrument.ts';
import { storageKey } from '../oidc/storage-key.ts';
import { providerConfiguration } from '../oidc/configuration.ts';
import { advertiseCatalogScopes, checkHashedClientSecrets, rewriteOAuthErrors } from '../oidc/harden.ts';
import { introspectForResourceServers } from '../oidc/introspect-api-keys.ts';
import { rememberClientsByRecord } from '../oidc/client-lookup.ts';
import { moveSecretToCurrentPepper } from '../clients/secrets.ts';
import { introspectJwtAccessTokens } from '../oidc/introspection.ts';
import { idempotentRefresh } from '../oidc/refresh-retry.ts';
import { lowSTokenAnswers } from '../oidc/low-s.ts';
import { registrationAnswer } from '../oidc/registration.ts';
import { useOn } from '../oidc/route-gate.ts';
import { onAnswer } from '../http/answer-steps.ts';
import { explainFetchFailure } from '../oidc/metadata-documents.ts';
import type { Dependencies } from './dependencies.ts';

type ProviderHook = (provider: Provider, d: Dependencies) => void;

/** Our hooks, in the order they are registered: [what it does, the hook]. */
const PROVIDER_HOOKS: ReadonlyArray<readonly [string, ProviderHook]> = [
  ['count token answers; first, so it sees each answer as finally sent', (p, d) => countTokenAnswers(p, d.metrics)],
  ['rewrite OAuth errors: error_uri, no-store, 503 on outage, why a refresh failed, RFC 6749 codes', (p) => rewriteOAuthErrors(p)],
  ['check client secrets against their HMACs, noting which was used, and moving one made under an older pepper to the current one',
    (p, d) => checkHashedClientSecrets(p, d.keys.pepper, (id) => d.secretUses.record(id), (clientId, secretId, presented) => {
      moveSecretToCurrentPepper(d.store, d.keys.pepper, clientId, secretId, presented).catch((err: Error) => {
        d.log.warn('moving a client secret to the current pepper failed; the next use tries again', { client_id: clientId, reason: err.message });
      });
    })],
  ['find a client\'s Client object by its cached record, not by hashing its metadata', (p, d) => rememberClientsByRecord(p, d.clientCache)],
  ['list the catalog scopes in discovery', (p) => advertiseCatalogScopes(p)],
  ['remember the client of each request, for the request log', (p) => rememberOidcClients(p)],
  ['say why a client ID metadata document could not be used', (p) => onAnswer(p, {
    answered(ctx) {
      if (ctx.body && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body)) ctx.body = explainFetchFailure(ctx, ctx.body as Record<string, string>);
    },
  })],
  ['answer a registration with what was stored, never Latchkey\'s own metadata', (p, d) => useOn(p, ['registration'], async (ctx, next) => {
    await next();
    if ((ctx as KoaContextWithOIDC).oidc?.route !== 'registration' || ctx.status !== 201 || !ctx.body || typeof ctx.body !== 'object') return;
    const body = ctx.body as Record<string, unknown>;
    ctx.body = registrationAnswer(body, typeof body.client_id === 'string' ? await d.store.findClient(body.client_id) : undefined);
  })],
  ['introspect our JWT access tokens', (p, d) => introspectJwtAccessTokens(p, { jwks: d.keys.jwks, records: d.store.oidc })],
  ['introspect API keys for resource servers; inside the JWT introspection above', (p, d) => introspectForResourceServers(p, {
    jwks: d.keys.jwks, records: d.store.oidc, store: d.store, pepper: d.keys.pepper, log: d.log, windowSeconds: d.settings.windows.guardWindow,
    keys: d.apiKeyCache, clients: d.clientCache,
  })],
  ['answer a repeated refresh inside its retry window with the same tokens', (p, d) => idempotentRefresh(p, {
    records: d.store.oidc, windowSeconds: d.settings.windows.refreshRetryWindow,
    storageIdOf: (token) => storageKey('RefreshToken', token), stats: d.refreshStats, log: d.log,
  })],
  ['hand out ES256 tokens in low-S form; inside the refresh retry above, so the kept answer is the one sent', (p) => lowSTokenAnswers(p)],
  ['limit open registrations per address and in total', (p, d) => {
    if (d.settings.registration === 'open') limitOpenRegistration(p, d.store, d.settings.issuer);
  }],
  ['limit failed client authentication per client and source', (p, d) => limitClientAuthentication(
    p, d.clientAuthLimiter, d.settings.windows.clientAuthWindow, d.log,
  )],
  ['one sign-in: signing out at the authorization server (RP-Initiated Logout) ends this browser\'s portal session too',
    (p, d) => p.on('end_session.success', (ctx) => { d.portalSessions.destroy(ctx).catch((err: Error) => d.log.warn('ending the portal session failed', { reason: err.message })); })],
  ['log server errors', (p, d) => p.on('server_error', (_ctx, err) => d.log.error('oidc-provider server error', { error: err.stack }))],
];

export function createProvider(d: Dependencies): Provider {
  const { settings } = d;
  const provider = new Provider(settings.issuer, providerConfiguration(settings.issuer, d.store, d.keys, {
    refreshRetryWindow: settings.windows.refreshRetryWindow, clients: d.clientCache,
    placeOf: (ctx) => d.portalSessions.placeOf(ctx), registration: settings.registration, agents: d.agents,
  }, { registry: d.agents, clientIdMetadata: settings.agents.clientIdMetadata, fetch: d.outboundFetch, countFetch: metadataFetchLimit(d.store) }));
  provider.proxy = settings.trustProxy;
  // Behind a proxy, the client is the address that proxy appended: the last one, not the first, which anyone can send.
  provider.maxIpsCount = 1;
  for (const [, hook] of PROVIDER_HOOKS) hook(provider, d);
  return provider;
}
