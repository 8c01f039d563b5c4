// Signing in, signing up and signing out of the portal. Before a session exists the cookie holds a
// random nonce and the form its HMAC under a server key: a cookie and field pair an attacker makes
// up (a planted cookie, say) does not pass. Every success lands on the portal with a 303.
import { createHmac, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { User } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { signUp } from '../accounts/sign-up.ts';
import { MIN_PASSWORD_LENGTH } from '../accounts/passwords.ts';
import { readForm } from '../http/form.ts';
import { renderView } from '../http/views.ts';
import { checkedForm, signedInWith, sessionOf, type PortalDeps } from './context.ts';
import { fieldAttributes, plainWords, type FieldErrors } from './format.ts';
import { sameToken } from '../accounts/sessions.ts';

const LOGIN_CSRF_COOKIE = 'latchkey_login_nonce';
const TAKEN_EMAIL = 'An account already uses this email. Sign in instead, or use another email.';

export interface SignInDeps extends PortalDeps {
  readonly limits: SignInLimits;
  /** The sign-in window (settings.windows.signInWindow): sign-ups per address are counted over it. */
  readonly signInWindow: number;
}

export function mountSignIn(deps: SignInDeps): void {
  const { router, store, pepper, sessions, limits } = deps;
  const csrfKey = pepper.derive('portal-login-csrf');
  const csrfCookie = sessions.cookieName(LOGIN_CSRF_COOKIE);
  const csrfToken = (nonce: string) => createHmac('sha256', csrfKey).update(nonce).digest('base64url');

  /** A new nonce in the cookie; the token for the page's form. */
  function newCsrf(ctx: Context): string {
    const nonce = randomBytes(32).toString('base64url');
    ctx.cookies.set(csrfCookie, nonce, sessions.cookieOptions());
    return csrfToken(nonce);
  }

  async function readChecked(ctx: Context, fields: string[]): Promise<Record<string, string>> {
    const form = await readForm(ctx, ['_csrf', ...fields]);
    const nonce = ctx.cookies.get(csrfCookie);
    if (!nonce || !sameToken(form._csrf!, csrfToken(nonce))) throw new LatchkeyError('csrf_failed');
    return form;
  }

  async function landSignedIn(ctx: Context, user: User): Promise<void> {
    ctx.cookies.set(csrfCookie, '', { ...sessions.cookieOptions(), maxAge: 0 });
    await sessions.create(ctx, user);
    ctx.status = 303;
    ctx.redirect('/portal');
  }

  const showLogin = (ctx: Context, error = '', email = '', status = 200, notice = '') =>
    renderView(ctx, 'portal-login', { csrf: newCsrf(ctx), error, email, notice }, status);

  async function showSignUp(ctx: Context, values: Record<string, string> = {}, errors: FieldErrors = {}, status = 200, error = '') {
    await renderView(ctx, 'portal-signup', {
      csrf: newCsrf(ctx), values, errors, error, minPassword: MIN_PASSWORD_LENGTH, field: (name: string) => fieldAttributes(errors, name),
    }, status);
  }

  /** Already signed in: the portal, rather than a form that would start a second session. */
  async function toPortalIfSignedIn(ctx: Context): Promise<boolean> {
    if (!await sessions.current(ctx)) return false;
    ctx.status = 303;
    ctx.redirect('/portal');
    return true;
  }

  router.get('/login', async (ctx) => {
    if (await toPortalIfSignedIn(ctx)) return;
    await showLogin(ctx, '', '', 200, ctx.query.signed_out === 'everywhere' ? 'You are signed out on every device. Apps you approved keep their access until you revoke them under Connected apps.' : '');
  });

  router.post('/login', async (ctx) => {
    const form = await readChecked(ctx, ['email', 'password']);
    const result = await signIn(store, limits, form.email!.trim(), form.password!, ctx.ip);
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok') return showLogin(ctx, result.message, form.email, result.outcome === 'limited' ? 429 : 401);
    await landSignedIn(ctx, result.user);
  });

  router.get('/signup', async (ctx) => {
    if (await toPortalIfSignedIn(ctx)) return;
    await showSignUp(ctx);
  });

  router.post('/signup', async (ctx) => {
    const form = await readChecked(ctx, ['name', 'email', 'password']);
    const values = { name: form.name!, email: form.email! };
    const result = await signUp(store, limits, { name: form.name!, email: form.email!, password: form.password! }, ctx.ip, deps.signInWindow);
    if (result.outcome === 'limited') {
      ctx.set('Retry-After', String(result.retryAfter));
      return showSignUp(ctx, values, {}, 429, result.message);
    }
    if (result.outcome === 'invalid') {
      const message = result.taken ? TAKEN_EMAIL : plainWords(result.message);
      return showSignUp(ctx, values, { [result.field]: message }, result.taken ? 409 : 400);
    }
    await landSignedIn(ctx, result.user);
  });

  const signedIn = signedInWith(sessions);

  router.post('/logout', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await sessions.destroy(ctx);
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
