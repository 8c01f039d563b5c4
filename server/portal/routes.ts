// The portal: a signed-in user of an account manages its API keys, its OAuth apps and the apps it
// connected, and reads its audit trail, in the browser. Forms carry the session's CSRF token and
// answer with a redirect (post/redirect/get); a new secret is shown once, after that redirect.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { noStore } from '../http/middleware.ts';
import type { Pepper } from '../secrets.ts';
import { mountApps } from './apps.ts';
import { mountAgents } from './agents.ts';
import { mountRegistrationTokens } from './registration-tokens.ts';
import type { RegistrationPolicy } from '../../config/registration.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { mountAudit } from './audit.ts';
import { mountConnectedApps } from './connected-apps.ts';
import { mountKeys } from './keys.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import { mountSignIn } from './signin.ts';
import { mountWebhooks } from './webhooks.ts';
import { mountDevMailbox } from './dev-mail.ts';
import { mountVerification } from './verify.ts';
import { mountPasswordReset } from './passwords.ts';
import { mountSecurity } from './security.ts';
import { mountInvitation } from './invitation.ts';
import { mountTeam } from './team.ts';
import { mountStepUp, stepUpRedirect } from './step-up.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { PendingSignIns } from '../accounts/pending-sign-in.ts';

export interface PortalOptions {
  /** Live API keys one account may hold (settings.apiKeysPerAccount). */
  readonly maxLiveKeys: number;
  /** OAuth clients one account may hold (settings.clientsPerAccount). */
  readonly maxClients: number;
  readonly issuer: string;
  /** settings.windows.signInWindow: sign-ups per address are counted over it. */
  readonly signInWindow: number;
  /** NODE_ENV=production: logo URLs on loopback or private addresses are refused. */
  readonly production: boolean;
  readonly mailer: Mailer;
  readonly pendingSignIns: PendingSignIns;
  /** LATCHKEY_REGISTRATION: with `token`, the OAuth apps page makes registration tokens. */
  readonly registration: RegistrationPolicy;
  /** Apps nobody registered: the operator account's owners and admins see, verify and block them. */
  readonly agents: AgentRegistry;
  /** One sign-in: signing out of the portal ends this browser's authorization-server session too. */
  readonly endAuthorizationServerSession: (ctx: Context) => Promise<void>;
}

export function portalRoutes(store: Store, pepper: Pepper, sessions: PortalSessions, limits: SignInLimits, options: PortalOptions): Router {
  const router = new Router({ prefix: '/portal' });
  router.use(noStore, stepUpRedirect);
  const deps = { router, store, pepper, sessions, issuer: options.issuer, production: options.production };
  mountSignIn({
    ...deps, limits, signInWindow: options.signInWindow, mailer: options.mailer, pending: options.pendingSignIns,
    endAuthorizationServerSession: options.endAuthorizationServerSession,
  });
  mountVerification({ ...deps, mailer: options.mailer });
  mountPasswordReset({ ...deps, mailer: options.mailer });
  mountStepUp({ ...deps, limits });
  mountSecurity({ ...deps, mailer: options.mailer, records: store.oidc });
  mountKeys(deps, { maxLiveKeys: options.maxLiveKeys });
  mountAudit(deps);
  mountConnectedApps(deps);
  // Before the apps: /apps/:id would take its path.
  mountRegistrationTokens(deps, options.registration);
  mountApps(deps, { maxClients: options.maxClients, registration: options.registration });
  mountAgents(deps, options.agents);
  mountWebhooks(deps);
  mountTeam({ ...deps, mailer: options.mailer });
  mountInvitation({ ...deps, mailer: options.mailer });
  // Development without SMTP: the mails written as files, listed (404 in production or with SMTP).
  if (!options.production && options.mailer.transport.files) mountDevMailbox(router, store, options.mailer);
  return router;
}
