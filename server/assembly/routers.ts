// Every router of ours, in the order they are mounted, and the ones under /api and /v1, whose
// unknown paths get our JSON 404 or 405 (koa-app.ts reuses that same list).
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import { logoRoutes } from '../clients/logo-routes.ts';
import { openApiDocument } from '../docs/openapi.ts';
import { docsRoutes, openApiRoutes } from '../docs/routes.ts';
import { interactionRoutes } from '../interactions/routes.ts';
import { leakRoutes } from '../leaks/routes.ts';
import { apiKeyRoutes } from '../management/api-keys.ts';
import { clientRoutes } from '../management/clients.ts';
import { memberRoutes } from '../management/members.ts';
import { webhookRoutes } from '../management/webhooks.ts';
import { resourceMetadataRoutes } from '../guard/resource-metadata.ts';
import { partnerApiRoutes } from '../partner-api/routes.ts';
import { portalRoutes } from '../portal/routes.ts';
import type { Dependencies } from './dependencies.ts';
import { pageRoutes } from './pages.ts';

export interface MountedRouters {
  /** In mounting order. */
  readonly all: readonly Router[];
  /** Those answering under /api/ and /v1/. */
  readonly api: readonly Router[];
}

/** `extra`: an embedder's routers (createLatchkey's options.routers), mounted last, behind the same middleware. */
export function mountedRouters(d: Dependencies, provider: Provider, extra: readonly Router[]): MountedRouters {
  const { settings, store, keys, guard, portalSessions, production } = d;
  const { issuer } = settings;
  const apiDescription = openApiDocument(issuer, settings.partnerApi);
  // LATCHKEY_PARTNER_API=off: the demo's /api/v1 paths are unknown paths (404); its scopes left the catalog.
  const partnerApi = settings.partnerApi ? [partnerApiRoutes(store, issuer, guard, { production, pepper: keys.pepper })] : [];
  const api = [
    ...partnerApi,
    apiKeyRoutes(store, keys.pepper, issuer, guard, portalSessions, { maxLiveKeys: settings.apiKeysPerAccount }),
    clientRoutes(store, keys.pepper, issuer, guard, portalSessions, { production, maxClients: settings.clientsPerAccount }),
    memberRoutes(store, keys.pepper, issuer, guard, portalSessions, d.mailer),
    webhookRoutes(store, keys.pepper, issuer, guard, portalSessions, production),
    resourceMetadataRoutes(issuer),
    leakRoutes(store, keys.pepper, settings, d.log),
  ];
  const all = [
    pageRoutes(d),
    interactionRoutes({ provider, store, pepper: keys.pepper, limits: d.signInLimits, pending: d.pendingSignIns, sessions: portalSessions, agents: d.agents }),
    portalRoutes(store, keys.pepper, portalSessions, d.signInLimits, {
      maxLiveKeys: settings.apiKeysPerAccount, maxClients: settings.clientsPerAccount, issuer, signInWindow: settings.windows.signInWindow, production, mailer: d.mailer, pendingSignIns: d.pendingSignIns,
      registration: settings.registration, agents: d.agents,
      endAuthorizationServerSession: async (ctx) => {
        const session = await provider.Session.get(ctx);
        if (session.accountId) await session.destroy();
      },
    }),
    docsRoutes(issuer, { store, sessions: portalSessions, apiDescription }),
    openApiRoutes(apiDescription),
    ...api,
    logoRoutes(store),
    ...extra,
  ];
  return { all, api };
}
