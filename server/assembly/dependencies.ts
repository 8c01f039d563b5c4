// Everything the parts of Latchkey share, made once per process from the settings, in the order
// each needs the one before: the store (timed for metrics), its key material, the one owner of
// credentials changes, the limits, the guard and the portal sessions. createLatchkey hands this
// one object to whatever it assembles instead of a list of positional arguments.
import type { Store } from '../../adapters/contract.ts';
import type { Settings } from '../../config/settings.ts';
import { AgentRegistry } from '../agents/registry.ts';
import { ensureOperatorAccount, OPERATOR_ACCOUNT_ID } from '../clients/resource-servers.ts';
import { outboundFetch } from '../http/outbound-fetch.ts';
import { SecretUseRecorder } from '../clients/secret-use.ts';
import { PortalSessions } from '../accounts/sessions.ts';
import { SignInLimits } from '../accounts/sign-in-limits.ts';
import { LastUsedRecorder } from '../api-keys/last-used.ts';
import { CredentialsChanges } from '../cache/credentials-changes.ts';
import { createGuard, type Guard } from '../guard/authenticate.ts';
import { ApiKeyCache } from '../api-keys/key-cache.ts';
import { ClientCache } from '../cache/clients.ts';
import { loadKeyMaterial, type KeyMaterial } from '../keys.ts';
import { checkRetiredPeppers, recordSealingPepper } from '../pepper-retirement.ts';
import { FailureLimiter } from '../limits/failures.ts';
import { GuardLimits } from '../limits/guard.ts';
import type { Logger } from '../log.ts';
import { instrumentSignInLimits, instrumentStore } from '../metrics/instrument.ts';
import { createMetrics, keyMaterialMetrics, type Metrics } from '../metrics/registry.ts';
import { statesOf } from '../signing-keys.ts';
import { newRefreshRetryStats, type RefreshRetryStats } from '../oidc/refresh-retry.ts';
import { apiResource } from '../oidc/resource.ts';
import { Mailer } from '../mail/mailer.ts';
import { PendingSignIns } from '../accounts/pending-sign-in.ts';
import { openStore } from '../store.ts';
import { Draining } from '../http/shutdown.ts';

export interface Dependencies {
  readonly settings: Settings;
  readonly log: Logger;
  readonly production: boolean;
  readonly metrics: Metrics;
  /** Repeats of refreshes: retries served, races coalesced, reuse detected (server/oidc/refresh-retry.ts). */
  readonly refreshStats: RefreshRetryStats;
  /** The store, behind the metrics wrapper. */
  readonly store: Store;
  readonly keys: KeyMaterial;
  /** The one owner of "credentials changed": the client and API-key caches subscribe to it. */
  readonly credentialsChanges: CredentialsChanges;
  /** API keys by hash, for the guard and introspection; clients by id, for oidc-provider's adapter and introspection. */
  readonly apiKeyCache: ApiKeyCache;
  readonly clientCache: ClientCache;
  /** Failed client authentications, counted in the store so the limit holds across instances. */
  readonly clientAuthLimiter: FailureLimiter;
  readonly signInLimits: SignInLimits;
  /** The guard of every resource route of ours (Partner API, management API). */
  readonly guard: Guard;
  readonly portalSessions: PortalSessions;
  /** Sign-ins waiting for their second factor (portal and authorization server). */
  readonly pendingSignIns: PendingSignIns;
  /** Composes mails to write with a change, and sends the outbox (server/mail/). */
  readonly mailer: Mailer;
  /** Apps nobody registered in the portal: seen, verified, blocked (server/agents/). */
  readonly agents: AgentRegistry;
  /** When each client secret was last used (at most a write a minute per secret). */
  readonly secretUses: SecretUseRecorder;
  /** Every outbound request oidc-provider makes, under our outbound rules. */
  readonly outboundFetch: ReturnType<typeof outboundFetch>;
  /** Set on SIGTERM: readiness turns 503 while the instance still serves (server/http/shutdown.ts). */
  readonly draining: Draining;
}

/** Agents belong to the operator account, made when agents may arrive (open registration, metadata documents). */
async function agentRegistry(settings: Settings, store: Store): Promise<AgentRegistry> {
  const arriving = settings.registration === 'open' || settings.agents.clientIdMetadata;
  return new AgentRegistry(store, arriving ? await ensureOperatorAccount(store) : OPERATOR_ACCOUNT_ID, settings.agents.dailyAuthorizations);
}

export async function openDependencies(settings: Settings, log: Logger): Promise<Dependencies> {
  const refreshStats = newRefreshRetryStats();
  const metrics = createMetrics(refreshStats);
  const store = instrumentStore(await openStore(settings, { progress: (message) => log.info(message) }), metrics);
  const keys = await loadKeyMaterial(settings, store, log);
  await checkRetiredPeppers(store, keys.pepper);
  await recordSealingPepper(store, keys.pepper);
  keyMaterialMetrics(metrics, {
    signingKeyStates: () => statesOf(keys.signingKeys, Math.floor(Date.now() / 1000)).map((s) => s.state),
    hashesByPepper: () => store.countApiKeyHashesByPepper(),
    storeCommits: () => store.commits(),
    storeSyncs: () => store.syncs(),
  });
  const credentialsChanges = new CredentialsChanges(store);
  const production = settings.nodeEnv === 'production';
  const mailer = new Mailer({
    settings: settings.mail, issuer: settings.issuer, dataDir: settings.dataDir, production, pepper: keys.pepper, store, log,
    onAttempt: (outcome) => metrics.mailAttempts.inc({ outcome }),
  });
  // One of each per process, whatever uses them and however often the provider is rebuilt: each
  // subscribes to the credentials changes once.
  const apiKeyCache = new ApiKeyCache(store, { onChange: (listener) => credentialsChanges.subscribe(listener) });
  const clientCache = new ClientCache(store, credentialsChanges);
  const guard = createGuard({
    issuer: settings.issuer, audience: apiResource(settings.issuer), jwks: keys.jwks, store, pepper: keys.pepper,
    lastUsed: new LastUsedRecorder(store, log), limits: new GuardLimits(settings.windows.guardWindow),
    onVerified: (credential, outcome) => metrics.guardVerifications.inc({ credential, outcome }),
    keys: apiKeyCache,
  });
  const portalSessions = new PortalSessions(store.oidc, settings.issuer, (id) => store.findUser(id), (id) => store.findAccount(id));
  return {
    settings, log, production, mailer, metrics, refreshStats, store, keys, credentialsChanges, apiKeyCache, clientCache,
    clientAuthLimiter: new FailureLimiter(store, {
      shared: true, onError: (err) => log.warn('reading rate-limit counters failed', { reason: err.message }),
    }),
    signInLimits: instrumentSignInLimits(new SignInLimits(store, settings.windows), metrics),
    guard,
    portalSessions,
    pendingSignIns: new PendingSignIns(store.oidc, portalSessions),
    agents: await agentRegistry(settings, store),
    secretUses: new SecretUseRecorder(store.oidc, log),
    outboundFetch: outboundFetch({
      production, ca: settings.agents.outboundCa, timeoutMs: 2500,
      warn: (message, fields) => log.warn(message, fields),
    }),
    draining: new Draining(),
  };
}
