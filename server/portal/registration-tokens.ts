// Registration tokens (LATCHKEY_REGISTRATION=token) on the OAuth apps page: a member who may create
// apps makes an initial access token for the account, shown once after the redirect (reveal.ts);
// an app presents it to register itself (RFC 7591), as an app of this account, in its environment.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import type { RegistrationPolicy } from '../../config/registration.ts';
import { authorizeCreation } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import { createInitialAccessToken } from '../oidc/initial-access-tokens.ts';
import { checkedForm, sessionOf, signedInWith, type PortalDeps } from './context.ts';
import { stashReveal, takeReveal } from './reveal.ts';

const TOKEN_REVEAL = 'registration-token';

export interface RegistrationTokenSection {
  readonly endpoint: string;
  readonly hours: number;
  readonly revealed: Readonly<Record<string, string>> | undefined;
}

/** What the OAuth apps page shows of registration tokens: nothing unless the policy is `token`. */
export async function registrationTokenSection(ctx: Context, deps: PortalDeps, policy: RegistrationPolicy): Promise<RegistrationTokenSection | undefined> {
  if (policy !== 'token') return undefined;
  return { endpoint: `${deps.issuer}/reg`, hours: LIFETIMES.initialAccessToken / 3600, revealed: await takeReveal(ctx, deps, TOKEN_REVEAL) };
}

export function mountRegistrationTokens(deps: PortalDeps, policy: RegistrationPolicy): void {
  // Mounted under every policy, so that the address is never taken for an app's id.
  deps.router.post('/apps/registration-tokens', signedInWith(deps.sessions), async (ctx) => {
    if (policy !== 'token') throw new LatchkeyError('not_found', 'this server makes no registration tokens (LATCHKEY_REGISTRATION is not token)');
    const form = await checkedForm(ctx, ['environment']);
    const environment = form.single.environment;
    if (environment !== 'test' && environment !== 'live') {
      throw new LatchkeyError('validation_failed', 'Choose test or live for the apps the token registers.', { field: 'environment' });
    }
    const session = sessionOf(ctx);
    // Registering apps is creating them: the same rule as the Register an app form.
    authorizeCreation(actorOfSession(session), 'clients', environment, deps.issuer);
    const created = await createInitialAccessToken(deps.store, session.accountId, environment, `user:${session.userId}`);
    await stashReveal(ctx, deps, TOKEN_REVEAL, { token: created.token, environment, expiresAt: created.expiresAt.toISOString() });
    ctx.status = 303;
    ctx.redirect('/portal/apps#registration-token');
  });
}
