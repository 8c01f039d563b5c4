// The account's members at /v1/members (JSON). Reading needs read:members (a credential) or a
// portal session; inviting, changing a role and removing need a signed-in owner or admin (rule 7 of
// server/authority/rules.ts: no credential may give a person more than the credential holds), and a
// recent sign-in when an owner or admin is concerned. The portal's team page does the same through
// the same services (server/teams/).
import Router from '@koa/router';
import { z } from 'zod';
import type { Context } from 'koa';
import type { Invitation, Store, User } from '../../adapters/contract.ts';
import { ROLES, type Role } from '../../config/roles.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import { allow, authorizeMembership } from '../authority/authorize.ts';
import { identifyManager, managerOf } from '../authority/identify.ts';
import type { Guard } from '../guard/authenticate.ts';
import { readJson } from '../http/json.ts';
import { noStore } from '../http/middleware.ts';
import { listOf, type Operation } from '../http/operations.ts';
import { parseBody } from '../http/schema.ts';
import { INVITATION, MEMBER, MEMBER_REMOVED } from './objects.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Pepper } from '../secrets.ts';
import { checkRole, invite, pendingInvitation, revokeInvitation, type TeamActor } from '../teams/invitations.ts';
import { changeRole, findMember, membersCredentials, removeMember } from '../teams/members.ts';
import { idempotentManagement, validationErrorsAsJson } from './access.ts';

const ROLE = z.string({ error: `role must be one of ${ROLES.join(', ')}` });
export const INVITE_MEMBER = z.strictObject({ email: z.string({ error: 'email must be a string' }), role: ROLE });
export const CHANGE_ROLE = z.strictObject({ role: ROLE });

export function presentMember(user: User) {
  return {
    id: user.id, object: 'member', email: user.email, role: user.role, two_factor: Boolean(user.totp),
    email_verified: Boolean(user.emailVerifiedAt), created_at: Math.floor(user.createdAt.getTime() / 1000),
  };
}

export function presentInvitation(invitation: Invitation, now = Date.now()) {
  return {
    id: invitation.id, object: 'invitation', email: invitation.email, role: invitation.role, invited_by: invitation.invitedBy,
    created_at: Math.floor(invitation.createdAt.getTime() / 1000), expires_at: Math.floor(invitation.expiresAt.getTime() / 1000),
    expired: invitation.expiresAt.getTime() <= now,
  };
}

/** These routes, for the API description (/openapi.json). Changes are a signed-in owner's or admin's only. */
export const MEMBER_OPERATIONS: readonly Operation[] = [
  {
    method: 'get', path: '/v1/members', tag: 'Members', summary: 'List members and pending invitations', scope: 'read:members', callers: 'either',
    status: 200, response: listOf(MEMBER, { invitations: z.array(INVITATION) }),
  },
  {
    method: 'post', path: '/v1/members/invitations', tag: 'Members', summary: 'Invite a member', callers: 'session',
    description: 'Mails a single-use invitation. An owner is invited by an owner only.',
    body: INVITE_MEMBER, status: 201, response: INVITATION, errors: ['validation_failed', 'forbidden', 'conflict', 'step_up_required'],
    example: { email: 'new.developer@example.com', role: 'developer' },
  },
  { method: 'delete', path: '/v1/members/invitations/{id}', tag: 'Members', summary: 'Withdraw an invitation', callers: 'session', status: 204, errors: ['not_found', 'forbidden'] },
  {
    method: 'patch', path: '/v1/members/{id}', tag: 'Members', summary: 'Change a member\'s role', callers: 'session',
    body: CHANGE_ROLE, status: 200, response: MEMBER, errors: ['not_found', 'validation_failed', 'forbidden', 'conflict', 'step_up_required'],
    example: { role: 'viewer' },
  },
  {
    method: 'delete', path: '/v1/members/{id}', tag: 'Members', summary: 'Remove a member', callers: 'session',
    description: 'Their grants are revoked; what they created stays and is listed.', status: 200, response: MEMBER_REMOVED, errors: ['not_found', 'forbidden', 'conflict'],
  },
];

export function memberRoutes(store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions, mailer: Mailer): Router {
  const router = new Router({ prefix: '/v1/members' });
  const mail = { mailer, pepper };
  const accountOf = (ctx: Context) => managerOf(ctx).accountId ?? '';
  const by = async (ctx: Context): Promise<TeamActor> => {
    const manager = managerOf(ctx);
    return { name: manager.name, label: (manager.userId ? (await store.findUser(manager.userId))?.email : undefined) ?? 'An owner or admin' };
  };
  /** Rule 7 (with its step-up when an owner or admin is concerned). */
  const mayChange = (ctx: Context, from?: Role, to?: Role) => authorizeMembership(managerOf(ctx), { accountId: accountOf(ctx), from, to }, issuer);

  router.use(noStore, validationErrorsAsJson, identifyManager(store, guard, sessions), idempotentManagement(store, sessions));

  router.get('/', allow({ resource: 'members', verb: 'read' }, issuer), async (ctx) => {
    const accountId = accountOf(ctx);
    const [members, invitations] = await Promise.all([store.listMembers(accountId), store.listInvitations(accountId)]);
    ctx.body = { object: 'list', data: members.map(presentMember), has_more: false, invitations: invitations.map((i) => presentInvitation(i)) };
  });

  router.post('/invitations', async (ctx) => {
    const body = parseBody(INVITE_MEMBER, await readJson(ctx));
    const role = checkRole(body.role);
    mayChange(ctx, undefined, role);
    const invitation = await invite(store, mail, accountOf(ctx), { email: body.email, role }, await by(ctx));
    ctx.status = 201;
    ctx.body = presentInvitation(invitation);
  });

  router.delete('/invitations/:id', async (ctx) => {
    const found = await pendingInvitation(store, accountOf(ctx), ctx.params.id ?? '');
    mayChange(ctx, undefined, found.role);
    await revokeInvitation(store, accountOf(ctx), found.id, await by(ctx));
    ctx.status = 204;
  });

  router.patch('/:id', async (ctx) => {
    const body = parseBody(CHANGE_ROLE, await readJson(ctx));
    const role = checkRole(body.role);
    const member = await findMember(store, accountOf(ctx), ctx.params.id ?? '');
    mayChange(ctx, member.role, role);
    ctx.body = presentMember(await changeRole(store, member.accountId, member, role, await by(ctx)));
  });

  // The answer lists what the member created: it stays with the account and keeps working.
  router.delete('/:id', async (ctx) => {
    const member = await findMember(store, accountOf(ctx), ctx.params.id ?? '');
    mayChange(ctx, member.role);
    const created = await membersCredentials(store, member.accountId, member.id);
    await removeMember(store, mail, member.accountId, member, await by(ctx));
    ctx.body = {
      ...presentMember(member), removed: true,
      still_working: { api_keys: created.keys.map((k) => k.id), clients: created.apps.map((c) => c.id) },
    };
  });

  return router;
}
