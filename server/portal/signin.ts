// Signing in, signing up and signing out of the portal. Pre-session forms carry a token checked
// against a cookie nonce (guest-forms.ts). Sign-up answers "check your email" whatever the address
// (server/accounts/sign-up.ts); signing in lands on the portal with a 303.
import type { Context } from 'koa';
import type { User } from '../../adapters/contract.ts';
import { originOf } from '../accounts/account-events.ts';
import { accountInputProblems, signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { signUp } from '../accounts/sign-up.ts';
import { MIN_PASSWORD_LENGTH } from '../accounts/passwords.ts';
import type { Mailer } from '../mail/mailer.ts';
import { renderView } from '../http/views.ts';
import { checkedForm, signedInWith, sessionOf, type PortalDeps } from './context.ts';
import { fieldAttributes, plainWords, type FieldErrors } from './format.ts';
import { GuestForms } from './guest-forms.ts';
import { safeReturnPath } from '../http/return-path.ts';
import { checkPendingCode, type PendingSignIns } from '../accounts/pending-sign-in.ts';

export interface SignInDeps extends PortalDeps {
  readonly limits: SignInLimits;
  /** The sign-in window (settings.windows.signInWindow): sign-ups per address are counted over it. */
  readonly signInWindow: number;
  readonly mailer: Mailer;
  readonly pending: PendingSignIns;
  readonly endAuthorizationServerSession: (ctx: Context) => Promise<void>;
}

export function mountSignIn(deps: SignInDeps): void {
  const { router, store, pepper, sessions, limits, mailer, pending } = deps;
  const guest = new GuestForms(pepper, sessions);
  const newCsrf = (ctx: Context) => guest.newToken(ctx);
  const readChecked = (ctx: Context, fields: string[]) => guest.read(ctx, fields);

  async function landSignedIn(ctx: Context, user: User, amr: string[], returnTo: string): Promise<void> {
    guest.clear(ctx);
    await sessions.create(ctx, user, { amr });
    ctx.status = 303;
    ctx.redirect(safeReturnPath(returnTo));
  }

  const showCode = (ctx: Context, email: string, returnTo: string, error = '', status = 200) =>
    renderView(ctx, 'sign-in-code', { action: '/portal/login/code', csrf: newCsrf(ctx), email, error, returnTo: safeReturnPath(returnTo) }, status);

  const showLogin = (ctx: Context, error = '', email = '', status = 200, notice = '', returnTo: unknown = ctx.query.return_to) =>
    renderView(ctx, 'portal-login', { csrf: newCsrf(ctx), error, email, notice, returnTo: safeReturnPath(returnTo) }, status);

  async function showSignUp(ctx: Context, values: Record<string, string> = {}, errors: FieldErrors = {}, status = 200, error = '') {
    await renderView(ctx, 'portal-signup', {
      csrf: newCsrf(ctx), values, errors, error, minPassword: MIN_PASSWORD_LENGTH, field: (name: string) => fieldAttributes(errors, name),
    }, status);
  }

  /** Already signed in: the portal, rather than a form that would start a second session. */
  async function toPortalIfSignedIn(ctx: Context): Promise<boolean> {
    if (!await sessions.current(ctx)) return false;
    ctx.status = 303;
    ctx.redirect(safeReturnPath(ctx.query.return_to));
    return true;
  }

  router.get('/login', async (ctx) => {
    if (await toPortalIfSignedIn(ctx)) return;
    await showLogin(ctx, '', '', 200, ctx.query.signed_out === 'everywhere' ? 'You are signed out on every device. Apps you approved keep their access until you revoke them under Connected apps.' : '');
  });

  router.post('/login', async (ctx) => {
    const form = await readChecked(ctx, ['email', 'password', 'return_to']);
    const returnTo = form.return_to!;
    const result = await signIn(store, limits, form.email!.trim(), form.password!, originOf(ctx));
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok') return showLogin(ctx, result.message, form.email, result.outcome === 'limited' ? 429 : 401, '', returnTo);
    if (result.user.totp) {
      // The password was right; nothing is signed in until the second factor is too.
      await pending.start(ctx, { userId: result.user.id, email: result.user.email, purpose: 'portal' });
      return showCode(ctx, result.user.email, returnTo);
    }
    await landSignedIn(ctx, result.user, ['pwd'], returnTo);
  });

  router.post('/login/code', async (ctx) => {
    const form = await readChecked(ctx, ['code', 'return_to']);
    const returnTo = form.return_to!;
    const checked = await checkPendingCode({ store, pepper, limits, pending }, ctx, 'portal', form.code!);
    if (checked.outcome === 'expired') return showLogin(ctx, checked.message, '', 401, '', returnTo);
    if (checked.outcome !== 'ok') {
      if (checked.outcome === 'limited') ctx.set('Retry-After', String(checked.retryAfter));
      const waiting = await pending.current(ctx, 'portal');
      return showCode(ctx, waiting?.email ?? '', returnTo, checked.message, checked.outcome === 'limited' ? 429 : 401);
    }
    await landSignedIn(ctx, checked.user, ['pwd', 'otp'], returnTo);
  });

  router.get('/signup', async (ctx) => {
    if (await toPortalIfSignedIn(ctx)) return;
    await showSignUp(ctx);
  });

  router.post('/signup', async (ctx) => {
    const form = await readChecked(ctx, ['name', 'email', 'password']);
    const values = { name: form.name!, email: form.email! };
    const result = await signUp(store, limits, { mailer, pepper }, { name: form.name!, email: form.email!, password: form.password! },
      ctx.ip, deps.signInWindow);
    if (result.outcome === 'limited') {
      ctx.set('Retry-After', String(result.retryAfter));
      return showSignUp(ctx, values, {}, 429, result.message);
    }
    if (result.outcome === 'invalid') {
      // Refused (and counted, as the limits want) at the first problem; the page lists every one.
      const problems = { ...accountInputProblems({ name: form.name!, email: form.email!, password: form.password! }), [result.field]: result.message };
      return showSignUp(ctx, values, Object.fromEntries(Object.entries(problems).map(([field, message]) => [field, plainWords(message)])), 400);
    }
    // The same page whether the address was new or already registered.
    await renderView(ctx, 'portal-check-email', { email: result.email, devMailbox: !deps.production && mailer.transport.files });
  });

  const signedIn = signedInWith(sessions);

  router.post('/logout', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await sessions.destroy(ctx);
    await deps.endAuthorizationServerSession(ctx);
    ctx.status = 303;
    ctx.redirect('/portal/login');
  });

  router.post('/logout-everywhere', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await sessions.destroyAll(ctx, sessionOf(ctx).userId);
    ctx.status = 303;
    ctx.redirect('/portal/login?signed_out=everywhere');
  });
}
