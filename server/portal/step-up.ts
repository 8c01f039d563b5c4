// Signing in again for a sensitive change (server/authority/step-up.ts): a portal action that needs a
// recent sign-in sends the user here, and back to the page it came from once the password (and the
// second factor, when on) is given again. The change itself is then made again by the user.
import type { Context, Next } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { originOf } from '../accounts/account-events.ts';
import { signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { checkSecondFactor } from '../accounts/two-factor.ts';
import { actorOfSession } from '../authority/identify.ts';
import { requireFreshSignIn, type SensitiveChange } from '../authority/step-up.ts';
import { safeReturnPath } from '../http/return-path.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';

/** The page an action's form is on, to return to after the step-up: the form's own page, near enough. */
function pageOfAction(path: string): string {
  if (path.startsWith('/portal/security')) return '/portal/security';
  const app = /^\/portal\/apps\/([^/]+)/.exec(path);
  if (app) return `/portal/apps/${app[1]}`;
  return '/portal';
}

/** Portal middleware: a step_up_required from any route becomes a redirect to the step-up page. */
export async function stepUpRedirect(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!(err instanceof LatchkeyError && err.code === 'step_up_required')) throw err;
    ctx.status = 303;
    ctx.redirect(`/portal/step-up?return_to=${encodeURIComponent(pageOfAction(ctx.path))}`);
  }
}

/** Throws step_up_required (a redirect to the step-up page, stepUpRedirect) unless the user signed in recently. */
export function requireRecentSignIn(ctx: Context, change: SensitiveChange): void {
  requireFreshSignIn(actorOfSession(sessionOf(ctx)), change);
}

/** Route middleware: the signed-in user made `change` with a recent sign-in, or is sent to renew it. */
export function freshSignIn(change: SensitiveChange) {
  return async function recentSignIn(ctx: Context, next: Next): Promise<void> {
    requireFreshSignIn(actorOfSession(sessionOf(ctx)), change);
    await next();
  };
}

export function mountStepUp(deps: PortalDeps & { readonly limits: SignInLimits }): void {
  const { router, store, pepper, sessions, limits } = deps;
  const signedIn = signedInWith(sessions);

  const show = (ctx: Context, error = '', status = 200) => showPage(ctx, 'portal-step-up', {
    nav: 'security', returnTo: safeReturnPath(ctx.query.return_to ?? ctx.state.returnTo), error, twoFactor: Boolean(sessionOf(ctx).user.totp),
  }, status);

  router.get('/step-up', signedIn, (ctx) => show(ctx));

  router.post('/step-up', signedIn, async (ctx) => {
    const form = await checkedForm(ctx, ['password', 'code', 'return_to']);
    ctx.state.returnTo = form.single.return_to;
    const { user } = sessionOf(ctx);
    const result = await signIn(store, limits, user.email, form.single.password ?? '', originOf(ctx));
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok' || result.user.id !== user.id) {
      return show(ctx, result.outcome === 'limited' ? result.message : 'That password is not right.', result.outcome === 'limited' ? 429 : 401);
    }
    let amr = ['pwd'];
    if (user.totp) {
      const second = await checkSecondFactor(store, pepper, user, form.single.code ?? '');
      if (!second.ok) return show(ctx, 'That code is not right. Enter the current code from your authenticator app, or a recovery code.', 401);
      amr = ['pwd', 'otp'];
    }
    await sessions.renew(ctx, { amr });
    ctx.status = 303;
    ctx.redirect(safeReturnPath(form.single.return_to));
  });
}
