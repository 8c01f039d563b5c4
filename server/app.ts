// Assembles Latchkey: settings -> store -> key material -> oidc-provider -> Koa routes.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import Provider from 'oidc-provider';
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import { storageKey } from './oidc/adapter.ts';
import { providerConfiguration } from './oidc/configuration.ts';
import { idempotentRefresh, newRefreshRetryStats, type RefreshRetryStats } from './oidc/refresh-retry.ts';
import { apiResource } from './oidc/resource.ts';
import { SCOPES, validateScopeCatalog } from '../config/scopes.ts';
import type { Settings } from '../config/settings.ts';
import { SignInLimits } from './accounts/sign-in-limits.ts';
import { LastUsedRecorder } from './api-keys/last-used.ts';
import { apiKeyRoutes } from './management/api-keys.ts';
import { clientRoutes } from './management/clients.ts';
import { logoRoutes } from './clients/logo-routes.ts';
import { leakRoutes } from './leaks/routes.ts';
import { docsRoutes } from './docs/routes.ts';
import { createGuard } from './guard/authenticate.ts';
import { refuseCredentialsInUrl } from './guard/url-credentials.ts';
import { pinToIssuer } from './http/forwarded.ts';
import { errorHandler, noStore, requestLog, wantsHtml } from './http/middleware.ts';
import { rememberOidcClients, requestId } from './http/request-id.ts';
import { closeGracefully } from './http/shutdown.ts';
import { requireHttps, securityHeaders } from './http/security-headers.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { renderView } from './http/views.ts';
import { loadKeyMaterial } from './keys.ts';
import type { Logger } from './log.ts';
import { limitClientAuthentication } from './limits/client-auth.ts';
import { FailureLimiter } from './limits/failures.ts';
import { GuardLimits } from './limits/guard.ts';
import { hardenProvider } from './oidc/harden.ts';
import { introspectForResourceServers } from './oidc/introspect-api-keys.ts';
import { introspectJwtAccessTokens } from './oidc/introspection.ts';
import { partnerApiRoutes } from './partner-api/routes.ts';
import { portalRoutes } from './portal/routes.ts';
import { describeExposure, healthz, listenForMetrics, metricsExposure, metricsRoute, readyz } from './metrics/endpoint.ts';
import { countTokenAnswers, instrumentSignInLimits, instrumentStore, timeRequests } from './metrics/instrument.ts';
import { createMetrics } from './metrics/registry.ts';
import { PortalSessions } from './accounts/sessions.ts';
import { openStore } from './store.ts';
import { CredentialsChanges } from './cache/credentials-changes.ts';
import { WebhookWorker } from './webhooks/worker.ts';

export interface Latchkey {
  readonly settings: Settings;
  readonly store: Store;
  readonly provider: Provider;
  /** Repeats of refreshes: retries served, races coalesced, reuse detected (server/oidc/refresh-retry.ts). */
  readonly refreshStats: RefreshRetryStats;
  /** Credentials changes of every instance, to which this process's caches subscribe. */
  readonly credentialsChanges: CredentialsChanges;
  readonly app: Koa;
  /** Starts listening on settings.host:settings.port; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

const STATIC_DIR = join(import.meta.dirname, '..', 'static');
const STATIC_TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
const STATIC_MAX_AGE_SECONDS = 3600;

/** Every css and js file of static/, read once at boot: the allow-list /static/<file> serves. */
function loadStaticFiles(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = STATIC_TYPES[name.slice(name.lastIndexOf('.'))];
    if (type && /^[\w.-]+$/.test(name)) files.set(name, { type, body: readFileSync(join(STATIC_DIR, name)) });
  }
  return files;
}

/** oidc-provider's own paths, answered in its format whatever the client accepts. */
const OAUTH_ROUTE_NAMES = ['authorization', 'token', 'jwks', 'introspection', 'revocation', 'pushed_authorization_request',
  'registration', 'userinfo', 'end_session', 'device_authorization', 'code_verification', 'backchannel_authentication', 'challenge', 'credential'];

function oauthPathsOf(provider: Provider): string[] {
  return OAUTH_ROUTE_NAMES.flatMap((name) => {
    try {
      return [provider.pathFor(name)];
    } catch {
      return []; // a feature that is off has no route
    }
  });
}
const SWEEP_INTERVAL_MS = 60_000;

export interface LatchkeyOptions {
  /**
   * More routers, mounted after the Partner API and behind the same middleware (logging, headers,
   * error handling, the URL credential check). Each applies its own guard, if any.
   */
  routers?: readonly Router[];
}

export async function createLatchkey(settings: Settings, log: Logger, options: LatchkeyOptions = {}): Promise<Latchkey> {
  validateScopeCatalog(SCOPES);
  const refreshStats = newRefreshRetryStats();
  const metrics = createMetrics(refreshStats);
  const store = instrumentStore(await openStore(settings), metrics);
  const keys = await loadKeyMaterial(settings, store, log);
  // The one owner of "credentials changed": the client and API-key caches subscribe to it.
  const credentialsChanges = new CredentialsChanges(store);
  credentialsChanges.start();

  const refreshRetryWindow = settings.windows.refreshRetryWindow;
  const provider = new Provider(settings.issuer, providerConfiguration(settings.issuer, store, keys, { refreshRetryWindow, credentialsChanges }));
  provider.proxy = settings.trustProxy;
  // First of the provider hooks, so it sees each token answer as finally sent.
  countTokenAnswers(provider, metrics);
  hardenProvider(provider, keys.pepper);
  rememberOidcClients(provider);
  introspectJwtAccessTokens(provider, { jwks: keys.jwks, records: store.oidc });
  // Runs inside the JWT introspection above (registered after it): API keys and resource servers.
  introspectForResourceServers(provider, {
    jwks: keys.jwks, records: store.oidc, store, pepper: keys.pepper, log, windowSeconds: settings.windows.guardWindow,
  });
  idempotentRefresh(provider, {
    records: store.oidc, windowSeconds: refreshRetryWindow, storageIdOf: (token) => storageKey('RefreshToken', token), stats: refreshStats, log,
  });
  // Behind a proxy, the client is the address that proxy appended: the last one, not the first, which anyone can send.
  provider.maxIpsCount = 1;
  const clientAuthLimiter = new FailureLimiter(store, {
    shared: true, onError: (err) => log.warn('reading rate-limit counters failed', { reason: err.message }),
  });
  limitClientAuthentication(provider, clientAuthLimiter, settings.windows.clientAuthWindow, log);
  provider.on('server_error', (_ctx, err) => log.error('oidc-provider server error', { error: err.stack }));

  const app = new Koa();
  app.proxy = settings.trustProxy;
  app.maxIpsCount = 1;
  app.silent = true;

  const pages = new Router();
  const staticFiles = loadStaticFiles();
  pages.get('/static/:file', async (ctx, next) => {
    const file = staticFiles.get(ctx.params.file!);
    if (!file) {
      await next();
      return;
    }
    ctx.type = file.type;
    ctx.set('Cache-Control', `public, max-age=${STATIC_MAX_AGE_SECONDS}`);
    ctx.body = file.body;
  });
  pages.get('/healthz', healthz);
  pages.get('/readyz', readyz(store, () => keys.jwks.keys.length > 0));
  pages.get('/', noStore, async (ctx) => {
    const about = {
      name: 'Latchkey',
      issuer: settings.issuer,
      discovery: `${settings.issuer}/.well-known/oauth-authorization-server`,
      docs: `${settings.issuer}/docs`,
    };
    // Browsers get a page with the ways in; API clients keep the JSON.
    if (ctx.accepts('json', 'html') === 'html') await renderView(ctx, 'landing', about);
    else ctx.body = about;
  });

  const signInLimits = instrumentSignInLimits(new SignInLimits(store, settings.windows), metrics);
  const interactions = interactionRoutes(provider, store, keys.pepper, signInLimits);
  const docs = docsRoutes(settings.issuer);
  const authenticate = createGuard({
    issuer: settings.issuer, audience: apiResource(settings.issuer), jwks: keys.jwks, store, pepper: keys.pepper,
    lastUsed: new LastUsedRecorder(store, log), limits: new GuardLimits(settings.windows.guardWindow),
    onVerified: (credential, outcome) => metrics.guardVerifications.inc({ credential, outcome }),
    credentialsChanges,
  });
  const partnerApi = partnerApiRoutes(store, settings.issuer, authenticate, {
    production: settings.nodeEnv === 'production', pepper: keys.pepper,
  });
  const portalSessions = new PortalSessions(store.oidc, settings.issuer);
  const apiKeys = apiKeyRoutes(store, keys.pepper, settings.issuer, authenticate, portalSessions, {
    maxLiveKeys: settings.apiKeysPerAccount,
  });
  const clients = clientRoutes(store, keys.pepper, settings.issuer, authenticate, portalSessions, {
    production: settings.nodeEnv === 'production',
  });
  const logos = logoRoutes(store);
  const leaks = leakRoutes(store, keys.pepper, settings, log);
  const portal = portalRoutes(store, keys.pepper, portalSessions, signInLimits, {
    maxLiveKeys: settings.apiKeysPerAccount, issuer: settings.issuer, signInWindow: settings.windows.signInWindow,
    production: settings.nodeEnv === 'production',
  });
  const providerCallback = provider.callback();

  // Host and scheme come from ISSUER (and the proxy's own X-Forwarded-Proto), never from the client.
  app.use(timeRequests(metrics));
  app.use(pinToIssuer(settings.issuer));
  app.use(requestId(log));
  app.use(requestLog(log));
  app.use(securityHeaders(settings.issuer));
  app.use(errorHandler(log, settings.issuer));
  // A key seen in a URL is revoked even when it came over plain http; then only https gets further.
  app.use(refuseCredentialsInUrl(store, keys.pepper, log));
  app.use(requireHttps(settings.issuer));
  app.use(metricsRoute(metrics, settings));
  app.use(pages.routes());
  app.use(interactions.routes());
  app.use(portal.routes());
  app.use(docs.routes());
  // LATCHKEY_PARTNER_API=off: the demo's /api/v1 paths are unknown paths (404); its scopes left the catalog.
  if (settings.partnerApi) app.use(partnerApi.routes());
  app.use(apiKeys.routes());
  app.use(clients.routes());
  app.use(leaks.routes());
  app.use(logos.routes());
  for (const router of options.routers ?? []) app.use(router.routes());
  app.use(async function unknownApiPath(ctx, next) {
    if (!ctx.path.startsWith('/api/') && !ctx.path.startsWith('/v1/')) {
      await next();
      return;
    }
    const mounted = settings.partnerApi ? [partnerApi, apiKeys, clients, leaks] : [apiKeys, clients, leaks];
    const pathExists = mounted.some((router) => router.match(ctx.path, ctx.method).path.some((layer) => layer.methods.length > 0));
    throw new LatchkeyError(pathExists ? 'method_not_allowed' : 'not_found');
  });
  // A browser asking for a page nobody serves gets our 404 page; OAuth paths and other clients go on.
  const oauthPaths = [...oauthPathsOf(provider), '/.well-known'];
  app.use(async function unknownPage(ctx, next) {
    const oauthPath = oauthPaths.some((path) => ctx.path === path || ctx.path.startsWith(`${path}/`));
    if (!oauthPath && (ctx.method === 'GET' || ctx.method === 'HEAD') && wantsHtml(ctx)) throw new LatchkeyError('not_found');
    await next();
  });
  // Everything else is an OAuth endpoint: oidc-provider answers in RFC 6749's format.
  app.use(async function oauthEndpoints(ctx) {
    ctx.respond = false;
    await providerCallback(ctx.req, ctx.res);
  });

  let server: Server | undefined;
  let metricsServer: Server | undefined;
  async function exposeMetrics(): Promise<void> {
    const exposure = metricsExposure(settings);
    if (exposure === 'port') metricsServer = await listenForMetrics(metrics, settings);
    log.info(describeExposure(exposure, settings, metricsServer?.address() as AddressInfo | undefined));
  }
  const sweeper = setInterval(() => {
    store.sweepExpired().catch((err: Error) => log.warn('sweeping expired records failed', { reason: err.message }));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  // Every instance delivers webhooks; leases in the store keep them from sending one delivery twice.
  const webhookWorker = new WebhookWorker({
    store, pepper: keys.pepper, settings: settings.webhooks, production: settings.nodeEnv === 'production', log,
    onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }),
  });

  return {
    settings, store, provider, app, refreshStats, credentialsChanges,
    listen() {
      return new Promise((resolve, reject) => {
        const handle = app.callback();
        server = createServer((req, res) => { void handle(req, res); });
        server.on('error', reject);
        server.listen(settings.port, settings.host, () => {
          webhookWorker.start();
          exposeMetrics().then(() => resolve(server!.address() as AddressInfo), reject);
        });
      });
    },
    async close() {
      clearInterval(sweeper);
      credentialsChanges.stop();
      clientAuthLimiter.close();
      // Sends in flight finish (each within the send timeout) and are recorded before the store closes.
      const workerStopped = webhookWorker.stop();
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
      }
      if (server) {
        // Requests in flight finish (within a bound); idle keep-alive connections close now.
        await closeGracefully(server);
      }
      await workerStopped;
      await store.close();
    },
  };
}
