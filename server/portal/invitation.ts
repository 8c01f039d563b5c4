// Accepting an invitation (/portal/invitation): the mailed link's token moves to a cookie
// (link-cookie.ts); the page names the account and the role and asks for a password; accepting makes
// the new member (their address confirmed by the link) and signs them in. An invitation that is
// expired, withdrawn, used, or for an address that already has a user gets a page saying so, and
// changes nothing.
import type { Context } from 'koa';
import { ValidationError } from '../../config/errors.ts';
import { ROLE_DEFINITIONS } from '../../config/roles.ts';
import { MIN_PASSWORD_LENGTH } from '../accounts/passwords.ts';
import { renderView } from '../http/views.ts';
import type { Mailer } from '../mail/mailer.ts';
import { acceptInvitation, invitationState, type InvitationState } from '../teams/invitations.ts';
import type { PortalDeps } from './context.ts';
import { fieldAttributes, formatDate, plainWords, type FieldErrors } from './format.ts';
import { originOf } from '../accounts/account-events.ts';
import { GuestForms } from './guest-forms.ts';
import { LinkCookie } from './link-cookie.ts';

export function mountInvitation(deps: PortalDeps & { readonly mailer: Mailer }): void {
  const { router, store, pepper, sessions } = deps;
  const guest = new GuestForms(pepper, sessions);
  const link = new LinkCookie(sessions, 'latchkey_invitation_link', '/portal/invitation');

  const show = (ctx: Context, found: InvitationState, errors: FieldErrors = {}, status?: number) => {
    const usable = found.state === 'usable';
    return renderView(ctx, 'portal-invitation', {
      state: found.state, errors, csrf: usable ? guest.newToken(ctx) : '', minPassword: MIN_PASSWORD_LENGTH, formatDate,
      invitation: found.state === 'unknown' ? undefined : { ...found.invitation, summary: ROLE_DEFINITIONS[found.invitation.role].summary },
      accountName: found.state === 'unknown' ? '' : found.accountName, field: (name: string) => fieldAttributes(errors, name),
    }, status ?? (usable ? 200 : 400));
  };

  router.get('/invitation', async (ctx) => {
    if (link.takeFromQuery(ctx)) return;
    await show(ctx, await invitationState(store, pepper, link.read(ctx)));
  });

  router.post('/invitation', async (ctx) => {
    const form = await guest.read(ctx, ['password']);
    const token = link.read(ctx);
    try {
      const user = await acceptInvitation(store, pepper, token, form.password!, originOf(ctx));
      if (!user) return await show(ctx, await invitationState(store, pepper, token));
      link.clear(ctx);
      guest.clear(ctx);
      await sessions.create(ctx, user, { amr: ['pwd'] });
      ctx.status = 303;
      ctx.redirect('/portal/team?done=joined');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await show(ctx, await invitationState(store, pepper, token), { [err.field]: plainWords(err.message) }, 400);
    }
  });
}
