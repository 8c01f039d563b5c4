// Assembles Latchkey. createLatchkey is the table of contents: the shared dependencies (settings ->
// store -> key material -> caches, limits, guard), the authorization server with its hooks in order,
// every router in mounting order, the Koa middleware chain, and what runs beside the requests. Each
// step lives in server/assembly/.
import type Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Store } from '../adapters/contract.ts';
import { SCOPES, validateScopeCatalog } from '../config/scopes.ts';
import type { Settings } from '../config/settings.ts';
import { openDependencies } from './assembly/dependencies.ts';
import { createKoaApp } from './assembly/koa-app.ts';
import { lifecycle, type Lifecycle } from './assembly/lifecycle.ts';
import { createProvider } from './assembly/provider.ts';
import { SwappableProvider } from './assembly/provider-swap.ts';
import { mountedRouters } from './assembly/routers.ts';
import type { CredentialsChanges } from './cache/credentials-changes.ts';
import type { Logger } from './log.ts';
import type { Mailer } from './mail/mailer.ts';
import type { RefreshRetryStats } from './oidc/refresh-retry.ts';

export interface Latchkey extends Lifecycle {
  readonly settings: Settings;
  readonly store: Store;
  readonly provider: Provider;
  /** Repeats of refreshes: retries served, races coalesced, reuse detected (server/oidc/refresh-retry.ts). */
  readonly refreshStats: RefreshRetryStats;
  /** Credentials changes of every instance, to which this process's caches subscribe. */
  readonly credentialsChanges: CredentialsChanges;
  /** Mail: composing, the outbox's sender and where mail goes (server/mail/). */
  readonly mailer: Mailer;
  readonly app: Koa;
}

export interface LatchkeyOptions {
  /**
   * More routers, mounted after ours and behind the same middleware (logging, headers, error
   * handling, the URL credential check). Each applies its own guard, if any.
   */
  routers?: readonly Router[];
}

export async function createLatchkey(settings: Settings, log: Logger, options: LatchkeyOptions = {}): Promise<Latchkey> {
  validateScopeCatalog(SCOPES);
  const d = await openDependencies(settings, log);
  const swappable = new SwappableProvider(() => createProvider(d));
  const { provider } = swappable;
  const app = createKoaApp(d, swappable, mountedRouters(d, provider, options.routers ?? []));
  const { store, refreshStats, credentialsChanges, mailer } = d;
  return { settings, store, provider, refreshStats, credentialsChanges, mailer, app, ...lifecycle(d, app, () => swappable.rebuild()) };
}
