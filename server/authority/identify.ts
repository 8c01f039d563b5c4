// Who is acting in a management request: every way in resolves to one Actor (rules.ts). A signed-in
// portal user of the account (session cookie; X-CSRF-Token on changes) manages both environments
// with every management scope; a credential (an API key, a client-credentials token, a user's token
// through an app) manages its own environment with its own scopes. The CLI is the operator.
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { mustEnrolTwoFactor, sameToken, type PortalSession, type PortalSessions } from '../accounts/sessions.ts';
import { liveGrantExpiry } from '../api-keys/limits.ts';
import type { Guard } from '../guard/authenticate.ts';
import { actorOf, type Principal } from '../http/principal.ts';
import type { Actor } from './rules.ts';
import type { FreshnessOf } from './step-up.ts';

/** The actor of a management request (ctx.state.manager), with what minting limits need. */
export interface Manager extends Actor, FreshnessOf {
  /** The credential, when not a signed-in user: what it may create is limited to what it holds. */
  readonly principal: Principal | undefined;
  /** For a user-delegated token: its grant's expiry, read (and found alive) for this request. */
  readonly grantExpiresAt: Date | undefined;
}

/** The CLI: every action on every account, audited as the operator. */
export const OPERATOR: Actor = { kind: 'operator', accountId: undefined, environments: ['test', 'live'], scopes: 'all', name: 'operator' };

export function actorOfSession(
  session: Pick<PortalSession, 'accountId' | 'userId' | 'user'> & Partial<Pick<PortalSession, 'signedInAt' | 'policy'>>,
): Actor & FreshnessOf {
  return {
    kind: 'user', accountId: session.accountId, environments: ['test', 'live'], scopes: 'all', name: `user:${session.userId}`, userId: session.userId,
    unverified: session.user.emailVerifiedAt === undefined, signedInAt: session.signedInAt,
    role: session.user.role, liveAdminsOnly: session.policy?.liveAdminsOnly === true,
  };
}

/**
 * A user's token through an app acts within the user's role as it is now (rule 6): a member whose
 * role went down, or who was removed, gets no more from a token issued before.
 */
async function withMemberRole(store: Store, actor: Actor): Promise<Actor> {
  if (actor.kind !== 'delegated' || !actor.userId) return actor;
  const user = await store.findUser(actor.userId);
  if (!user || user.accountId !== actor.accountId) return { ...actor, role: 'viewer', scopes: new Set() };
  const account = await store.findAccount(user.accountId);
  return { ...actor, role: user.role, liveAdminsOnly: account?.policy.liveAdminsOnly === true };
}

export function actorOfPrincipal(principal: Principal): Actor {
  const { credential } = principal;
  const common = { accountId: principal.accountId, environments: [principal.environment], scopes: principal.scopes, name: actorOf(principal) };
  if (credential.kind === 'api_key') return { ...common, kind: 'api_key', credentialId: credential.id };
  const delegated = credential.subject !== credential.clientId;
  return {
    ...common, kind: delegated ? 'delegated' : 'client', credentialId: credential.tokenId, clientId: credential.clientId,
    grantId: credential.grantId, userId: delegated ? credential.subject : undefined,
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function managerOf(ctx: Context): Manager {
  return ctx.state.manager as Manager;
}

/** Sets ctx.state.manager from the session or the Authorization header. */
export function identifyManager(store: Store, guard: Guard, sessions: PortalSessions) {
  return async function identifyManagerOfRequest(ctx: Context, next: Next) {
    const session = ctx.get('authorization') ? undefined : await sessions.current(ctx);
    if (session) {
      if (!SAFE_METHODS.has(ctx.method) && !sameToken(ctx.get('x-csrf-token'), session.csrf)) {
        throw new LatchkeyError('csrf_failed', 'send the session\'s CSRF token in the X-CSRF-Token header');
      }
      if (mustEnrolTwoFactor(session)) throw new LatchkeyError('two_factor_required');
      ctx.state.manager = { ...actorOfSession(session), principal: undefined, grantExpiresAt: undefined } satisfies Manager;
    } else {
      const principal = await guard.principalOfRequest(ctx);
      // An app the user disconnected keeps a valid JWT for minutes: it manages nothing from then on.
      const { credential } = principal;
      const grantExpiresAt = credential.kind === 'access_token' && credential.grantId ? await liveGrantExpiry(store, credential.grantId) : undefined;
      ctx.state.manager = { ...await withMemberRole(store, actorOfPrincipal(principal)), principal, grantExpiresAt } satisfies Manager;
    }
    await next();
  };
}
