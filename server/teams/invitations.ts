// Invitations to join an account: mailed, single use, valid LIFETIMES.invitation, revocable and
// sendable again (a new link, the old one dead). The mail carries a random token; the store keeps its
// HMAC under the pepper. Accepting makes a new user of the account with the invited role and a
// confirmed address (the link proves it). One organisation per user for now: an address that
// already has a user cannot accept, and the page says why.
import { DuplicateError, type Invitation, type Store, type User } from '../../adapters/contract.ts';
import { LatchkeyError, ValidationError } from '../../config/errors.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { isRole, ROLE_DEFINITIONS, ROLES, type Role } from '../../config/roles.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { passwordProblem } from '../accounts/password-policy.ts';
import type { AccountMail } from '../accounts/verification.ts';
import { checkEmail } from '../http/input-rules.ts';
import { findByAnyPepper, generateId, generateSortableId, randomBase62, SECRET_LENGTH, type Pepper } from '../secrets.ts';

const MAX_TOKEN_LENGTH = 64;

/** Who does a team change: how audit events name them, and how a mail names them to people. */
export interface TeamActor {
  /** `user:<id>` or `operator`. */
  readonly name: string;
  /** The person's email, or "The operator". */
  readonly label: string;
}

export function checkRole(value: unknown): Role {
  if (!isRole(value)) throw new ValidationError('role', `role must be one of ${ROLES.join(', ')}`);
  return value;
}

const tokenHash = (pepper: Pepper, token: string) => pepper.hash(`invitation:${token}`);

/** Whether a presented token could be one: anything else never reaches the store. */
function plausibleToken(token: string | undefined): token is string {
  return token !== undefined && token.length > 0 && token.length <= MAX_TOKEN_LENGTH && /^[0-9A-Za-z]+$/.test(token);
}

function event(invitation: Pick<Invitation, 'id' | 'accountId' | 'email' | 'role'>, action: string, by: TeamActor) {
  return {
    id: generateSortableId('evt'), accountId: invitation.accountId, actor: by.name, action, targetId: invitation.id, reason: undefined,
    at: new Date(), detail: { email: invitation.email, role: invitation.role },
  };
}

async function invitationMail(store: Store, mail: AccountMail, invitation: Invitation, token: string, by: TeamActor) {
  const account = await store.findAccount(invitation.accountId);
  return mail.mailer.compose('invitation', invitation.email, {
    email: invitation.email, accountName: account?.name ?? invitation.accountId, inviter: by.label, role: invitation.role,
    roleSummary: ROLE_DEFINITIONS[invitation.role].summary, link: mail.mailer.link('/portal/invitation', { link: token }),
    expires: invitation.expiresAt.toUTCString(),
  });
}

/** Invites an address to the account with a role; a pending invitation for the same address is replaced. */
export async function invite(store: Store, mail: AccountMail, accountId: string, input: { email: string; role: unknown }, by: TeamActor): Promise<Invitation> {
  const email = checkEmail(input.email);
  const role = checkRole(input.role);
  const existing = await store.findUserByEmail(email);
  if (existing?.accountId === accountId) throw new ValidationError('email', 'this address is already a member of the account');
  const token = randomBase62(SECRET_LENGTH);
  const createdAt = new Date();
  const invitation: Invitation = {
    id: generateSortableId('inv'), accountId, email, role, tokenHash: tokenHash(mail.pepper, token), invitedBy: by.name,
    createdAt, expiresAt: new Date(createdAt.getTime() + LIFETIMES.invitation * 1000), acceptedAt: undefined, revokedAt: undefined,
  };
  await store.createInvitation(invitation, { mails: [await invitationMail(store, mail, invitation, token, by)], events: [event(invitation, 'member.invited', by)] });
  mail.mailer.written();
  return invitation;
}

/** A pending invitation of the account, or not_found. */
export async function pendingInvitation(store: Store, accountId: string, id: string): Promise<Invitation> {
  const found = await store.findInvitation(id);
  if (!found || found.accountId !== accountId || found.acceptedAt || found.revokedAt) throw new LatchkeyError('not_found', 'no such invitation');
  return found;
}

/** Sends the invitation again with a new link (the old one stops working) and a new expiry. */
export async function resendInvitation(store: Store, mail: AccountMail, accountId: string, id: string, by: TeamActor): Promise<Invitation> {
  const found = await pendingInvitation(store, accountId, id);
  const token = randomBase62(SECRET_LENGTH);
  const renewed = { ...found, tokenHash: tokenHash(mail.pepper, token), expiresAt: new Date(Date.now() + LIFETIMES.invitation * 1000) };
  const along = { mails: [await invitationMail(store, mail, renewed, token, by)], events: [event(found, 'member.invitation_resent', by)] };
  if (!await store.renewInvitation(id, renewed.tokenHash, renewed.expiresAt, along)) throw new LatchkeyError('not_found', 'no such invitation');
  mail.mailer.written();
  return renewed;
}

export async function revokeInvitation(store: Store, accountId: string, id: string, by: TeamActor): Promise<void> {
  const found = await pendingInvitation(store, accountId, id);
  if (!await store.revokeInvitation(id, new Date(), event(found, 'member.invitation_revoked', by))) throw new LatchkeyError('not_found', 'no such invitation');
}

/** What a presented invitation link can do. */
export type InvitationState =
  | { readonly state: 'usable'; readonly invitation: Invitation; readonly accountName: string }
  | { readonly state: 'expired' | 'revoked' | 'accepted' | 'taken'; readonly invitation: Invitation; readonly accountName: string }
  | { readonly state: 'unknown' };

export async function invitationState(store: Store, pepper: Pepper, token: string | undefined): Promise<InvitationState> {
  // Under whichever pepper it was made: one mailed before a rotation still opens.
  const invitation = plausibleToken(token) ? (await findByAnyPepper(pepper, `invitation:${token}`, (hash) => store.findInvitationByHash(hash)))?.found : undefined;
  if (!invitation) return { state: 'unknown' };
  const accountName = (await store.findAccount(invitation.accountId))?.name ?? '';
  if (invitation.acceptedAt) return { state: 'accepted', invitation, accountName };
  if (invitation.revokedAt) return { state: 'revoked', invitation, accountName };
  if (invitation.expiresAt.getTime() <= Date.now()) return { state: 'expired', invitation, accountName };
  // One organisation per user, for now: an address with a user (here or elsewhere) cannot join.
  if (await store.findUserByEmail(invitation.email)) return { state: 'taken', invitation, accountName };
  return { state: 'usable', invitation, accountName };
}

/**
 * Accepts a usable invitation with a password: the new member, signed up with the invited address
 * (confirmed) and role. Undefined when the invitation cannot be used (any more); ValidationError
 * for a password the policy refuses.
 */
export async function acceptInvitation(store: Store, pepper: Pepper, token: string | undefined, password: string, origin: { address: string; userAgent: string }): Promise<User | undefined> {
  const found = await invitationState(store, pepper, token);
  if (found.state !== 'usable') return undefined;
  const { invitation, accountName } = found;
  const problem = passwordProblem(password, { email: invitation.email, accountName });
  if (problem) throw new ValidationError('password', problem);
  const at = new Date();
  const userId = generateId('user');
  try {
    return await store.acceptInvitation(invitation.id, {
      id: userId, accountId: invitation.accountId, email: invitation.email, passwordHash: await hashPassword(password), createdAt: at,
      emailVerifiedAt: at, role: invitation.role,
    }, at, {
      events: [{
        id: generateSortableId('evt'), accountId: invitation.accountId, actor: `user:${userId}`, action: 'member.joined', targetId: userId,
        reason: undefined, at, detail: { email: invitation.email, role: invitation.role, invitation: invitation.id, address: origin.address, user_agent: origin.userAgent },
      }],
    });
  } catch (err) {
    if (err instanceof DuplicateError) return undefined;
    throw err;
  }
}
