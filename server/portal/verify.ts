// Confirming an email address from the mailed link: the link's page asks, the button confirms
// (single use); a signed-in user whose address is not confirmed can have the link sent again.
import type { Context } from 'koa';
import { confirmEmail, pendingVerification, resendVerification } from '../accounts/verification.ts';
import { renderView } from '../http/views.ts';
import type { Mailer } from '../mail/mailer.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';
import { originOf } from '../accounts/account-events.ts';
import { GuestForms } from './guest-forms.ts';
import { LinkCookie } from './link-cookie.ts';

export function mountVerification(deps: PortalDeps & { readonly mailer: Mailer }): void {
  const { router, store, pepper, sessions, mailer } = deps;
  const guest = new GuestForms(pepper, sessions);
  const link = new LinkCookie(sessions, 'latchkey_verify_link', '/portal/verify');
  const signedIn = signedInWith(sessions);

  const showOutcome = (ctx: Context, outcome: 'confirm' | 'confirmed' | 'unusable', data: Record<string, unknown> = {}, status = 200) =>
    renderView(ctx, 'portal-verify', { outcome, email: '', csrf: '', signedIn: false, ...data }, status);

  router.get('/verify', async (ctx) => {
    if (link.takeFromQuery(ctx)) return;
    const email = await pendingVerification(store, pepper, link.read(ctx));
    if (!email) return showOutcome(ctx, 'unusable', { signedIn: Boolean(await sessions.current(ctx)) }, 400);
    await showOutcome(ctx, 'confirm', { email, csrf: guest.newToken(ctx) });
  });

  router.post('/verify', async (ctx) => {
    await guest.read(ctx, []);
    const user = await confirmEmail(store, { mailer, pepper }, link.read(ctx), originOf(ctx));
    link.clear(ctx);
    const signedInNow = Boolean(await sessions.current(ctx));
    if (!user) return showOutcome(ctx, 'unusable', { signedIn: signedInNow }, 400);
    await showOutcome(ctx, 'confirmed', { email: user.email, signedIn: signedInNow });
  });

  router.post('/verify/resend', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const { user } = sessionOf(ctx);
    const sent = await resendVerification(store, { mailer, pepper }, user);
    await showPage(ctx, 'portal-verify-sent', { nav: 'keys', email: user.email, sent }, sent ? 200 : 429);
  });
}
