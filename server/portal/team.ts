// The team page (/portal/team): the account's members and their roles, pending invitations, and the
// account's policies. Everyone signed in sees it; what each may change is the authority module's
// (rules 6 and 7): owners and admins invite, change roles and remove (owners alone touch owners),
// and such changes to owners and admins need a recent sign-in. Removing a member first shows what
// they created, which stays with the account.
import type { Context } from 'koa';
import type { User } from '../../adapters/contract.ts';
import { LatchkeyError, ValidationError } from '../../config/errors.ts';
import { MANAGING_ROLES, ROLE_DEFINITIONS, ROLES } from '../../config/roles.ts';
import { authorize, authorizeMembership } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import type { Mailer } from '../mail/mailer.ts';
import { checkRole, invite, resendInvitation, revokeInvitation, type TeamActor } from '../teams/invitations.ts';
import { changeRole, findMember, membersCredentials, removeMember, setPolicy } from '../teams/members.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PageData, type PortalDeps } from './context.ts';
import { plainWords } from './format.ts';
import { requireRecentSignIn } from './step-up.ts';

const NOTICES: Record<string, string> = {
  invited: 'Invitation sent.', resent: 'Invitation sent again, with a new link; the old one no longer works.',
  revoked: 'Invitation withdrawn.', role: 'Role changed.', removed: 'Member removed: signed out, and their apps lost access.',
  policy: 'Policy saved.', joined: 'Welcome: you are a member of the account now.',
};

export function mountTeam(deps: PortalDeps & { readonly mailer: Mailer }): void {
  const { router, store, pepper, sessions, issuer, mailer } = deps;
  const signedIn = signedInWith(sessions);
  const mail = { mailer, pepper };
  const by = (ctx: Context): TeamActor => ({ name: `user:${sessionOf(ctx).userId}`, label: sessionOf(ctx).user.email });
  const actor = (ctx: Context) => actorOfSession(sessionOf(ctx));
  const see = (ctx: Context, done: string) => { ctx.status = 303; ctx.redirect(`/portal/team?done=${done}`); };

  const show = async (ctx: Context, data: PageData = {}, status = 200) => {
    const session = sessionOf(ctx);
    authorize(actor(ctx), { resource: 'members', verb: 'read' }, issuer);
    const [members, invitations] = await Promise.all([store.listMembers(session.accountId), store.listInvitations(session.accountId)]);
    const manages = MANAGING_ROLES.includes(session.user.role);
    const now = Date.now();
    await showPage(ctx, 'portal-team', {
      nav: 'team', members: members.map((m: User) => ({ ...m, you: m.id === session.userId, twoFactor: Boolean(m.totp) })),
      invitations: invitations.map((i) => ({ ...i, expired: i.expiresAt.getTime() <= now })),
      roles: ROLES.map((role) => ({ role, summary: ROLE_DEFINITIONS[role].summary, offered: session.user.role === 'owner' || role !== 'owner' })),
      manages, isOwner: session.user.role === 'owner', policy: session.policy, notice: NOTICES[String(ctx.query.done)] ?? '', ...data,
    }, status);
  };

  router.get('/team', signedIn, (ctx) => show(ctx));

  router.post('/team/invitations', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['email', 'role']);
    const role = single.role ?? '';
    try {
      const wanted = checkRole(role);
      authorizeMembership(actor(ctx), { accountId: sessionOf(ctx).accountId, to: wanted }, issuer);
      await invite(store, mail, sessionOf(ctx).accountId, { email: single.email ?? '', role: wanted }, by(ctx));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return show(ctx, { errors: { [err.field]: plainWords(err.message) }, values: { email: single.email, role } }, 400);
    }
    see(ctx, 'invited');
  });

  router.post('/team/invitations/:id/resend', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const found = await store.findInvitation(ctx.params.id ?? '');
    authorizeMembership(actor(ctx), { accountId: found?.accountId ?? '', to: found?.role }, issuer);
    await resendInvitation(store, mail, sessionOf(ctx).accountId, ctx.params.id ?? '', by(ctx));
    see(ctx, 'resent');
  });

  router.post('/team/invitations/:id/revoke', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const found = await store.findInvitation(ctx.params.id ?? '');
    authorizeMembership(actor(ctx), { accountId: found?.accountId ?? '', to: found?.role }, issuer);
    await revokeInvitation(store, sessionOf(ctx).accountId, ctx.params.id ?? '', by(ctx));
    see(ctx, 'revoked');
  });

  router.post('/team/members/:id/role', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['role']);
    const member = await findMember(store, sessionOf(ctx).accountId, ctx.params.id ?? '');
    const role = checkRole(single.role);
    authorizeMembership(actor(ctx), { accountId: member.accountId, from: member.role, to: role }, issuer);
    await changeRole(store, member.accountId, member, role, by(ctx));
    see(ctx, 'role');
  });

  // Removing asks first, and lists what the member created (it stays with the account).
  router.get('/team/members/:id/remove', signedIn, async (ctx) => {
    const member = await findMember(store, sessionOf(ctx).accountId, ctx.params.id ?? '');
    authorizeMembership(actor(ctx), { accountId: member.accountId, from: member.role }, issuer);
    const created = await membersCredentials(store, member.accountId, member.id);
    await showPage(ctx, 'portal-member-remove', { nav: 'team', member, ...created });
  });

  router.post('/team/members/:id/remove', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const member = await findMember(store, sessionOf(ctx).accountId, ctx.params.id ?? '');
    authorizeMembership(actor(ctx), { accountId: member.accountId, from: member.role }, issuer);
    if (member.id === sessionOf(ctx).userId) throw new LatchkeyError('conflict', 'you cannot remove yourself: ask another owner or admin');
    await removeMember(store, mail, member.accountId, member, by(ctx));
    see(ctx, 'removed');
  });

  router.post('/team/policy', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['require_two_factor', 'live_admins_only']);
    const session = sessionOf(ctx);
    authorizeMembership(actor(ctx), { accountId: session.accountId }, issuer);
    requireRecentSignIn(ctx, 'account.policy');
    // As GitHub does: whoever requires two-factor of everyone has it already (and is not locked out by their own change).
    if (single.require_two_factor === 'on' && !session.user.totp) {
      return show(ctx, { errors: { require_two_factor: 'Turn on two-factor authentication for yourself first (under Security), then require it of everyone.' } }, 400);
    }
    await setPolicy(store, session.accountId, { requireTwoFactor: single.require_two_factor === 'on', liveAdminsOnly: single.live_admins_only === 'on' }, by(ctx));
    see(ctx, 'policy');
  });
}
