// "Forgot password?" and the reset link's page. The request page answers the same for every address;
// the link's page asks for the new password (the token moved to a cookie, link-cookie.ts) and, once
// set, every session of the user has ended, so it sends the user to sign in.
import type { Context } from 'koa';
import { pendingReset, requestReset, resetPassword } from '../accounts/passwords-flow.ts';
import { MIN_PASSWORD_LENGTH } from '../accounts/passwords.ts';
import { renderView } from '../http/views.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { PortalDeps } from './context.ts';
import { fieldAttributes, plainWords, type FieldErrors } from './format.ts';
import { originOf } from '../accounts/account-events.ts';
import { GuestForms } from './guest-forms.ts';
import { LinkCookie } from './link-cookie.ts';

export function mountPasswordReset(deps: PortalDeps & { readonly mailer: Mailer }): void {
  const { router, store, pepper, sessions, mailer } = deps;
  const guest = new GuestForms(pepper, sessions);
  const link = new LinkCookie(sessions, 'latchkey_reset_link', '/portal/reset');
  const mail = { mailer, pepper };

  const showForgot = (ctx: Context, data: { email?: string; sent?: boolean; error?: string } = {}, status = 200) =>
    renderView(ctx, 'portal-forgot', { csrf: guest.newToken(ctx), email: '', sent: false, error: '', devMailbox: !deps.production && mailer.transport.files, ...data }, status);

  const showReset = (ctx: Context, state: 'form' | 'done' | 'unusable', data: { email?: string; errors?: FieldErrors } = {}, status = 200) => {
    const errors = data.errors ?? {};
    return renderView(ctx, 'portal-reset', {
      state, email: data.email ?? '', errors, csrf: state === 'form' ? guest.newToken(ctx) : '', minPassword: MIN_PASSWORD_LENGTH,
      field: (name: string) => fieldAttributes(errors, name),
    }, status);
  };

  router.get('/forgot', (ctx) => showForgot(ctx));

  router.post('/forgot', async (ctx) => {
    const form = await guest.read(ctx, ['email']);
    const email = form.email!.trim();
    if (!email) return showForgot(ctx, { error: 'Enter the email address you sign in with.' }, 400);
    const result = await requestReset(store, mail, email, originOf(ctx));
    if (result.outcome === 'limited') {
      ctx.set('Retry-After', String(result.retryAfter));
      return showForgot(ctx, { email, error: 'Too many reset requests from your network. Try again later.' }, 429);
    }
    await showForgot(ctx, { email, sent: true });
  });

  router.get('/reset', async (ctx) => {
    if (link.takeFromQuery(ctx)) return;
    const email = await pendingReset(store, pepper, link.read(ctx));
    if (!email) return showReset(ctx, 'unusable', {}, 400);
    await showReset(ctx, 'form', { email });
  });

  router.post('/reset', async (ctx) => {
    const form = await guest.read(ctx, ['password']);
    const result = await resetPassword(store, mail, (userId) => sessions.endAllOf(userId), link.read(ctx), form.password!, originOf(ctx));
    if (result.outcome === 'invalid') {
      const email = await pendingReset(store, pepper, link.read(ctx));
      return showReset(ctx, 'form', { email, errors: { password: plainWords(result.message) } }, 400);
    }
    link.clear(ctx);
    if (result.outcome === 'unusable') return showReset(ctx, 'unusable', {}, 400);
    // This browser's session ended with every other one.
    await sessions.destroy(ctx);
    await showReset(ctx, 'done', { email: result.user.email });
  });
}
