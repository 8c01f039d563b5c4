// An account's members: their roles, removal, and the account's policies. Who may do which is the
// authority module's (rules 6 and 7); the callers ask it first. The store keeps the last owner.
// Removing a member ends their sessions (portal and authorization server, through the one path for
// that) and revokes the grants they gave apps (over this account's data: a user belongs to one
// account), then deletes them and tells them. What they created (keys, apps) belongs to the
// account and keeps working: membersCredentials lists it, for the removal page to offer revoking.
import type { AccountPolicy, ApiKeyRecord, ClientRecord, Store, User } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import type { Role } from '../../config/roles.ts';
import { UserSessions } from '../accounts/user-sessions.ts';
import type { AccountMail } from '../accounts/verification.ts';
import { generateSortableId } from '../secrets.ts';
import type { TeamActor } from './invitations.ts';

const LAST_OWNER = 'an account keeps at least one owner: make another member an owner first';

function event(accountId: string, by: TeamActor, action: string, member: Pick<User, 'id' | 'email'>, detail: Record<string, string> = {}) {
  return {
    id: generateSortableId('evt'), accountId, actor: by.name, action, targetId: member.id, reason: undefined, at: new Date(),
    detail: { email: member.email, ...detail },
  };
}

/** A member of the account, or not_found. */
export async function findMember(store: Store, accountId: string, userId: string): Promise<User> {
  const user = await store.findUser(userId);
  if (!user || user.accountId !== accountId) throw new LatchkeyError('not_found', 'no such member');
  return user;
}

export async function changeRole(store: Store, accountId: string, member: User, role: Role, by: TeamActor): Promise<User> {
  if (member.role === role) return member;
  const changed = await store.changeRole(accountId, member.id, role, {
    events: [event(accountId, by, 'member.role_changed', member, { from: member.role, to: role })],
  });
  if (changed === 'last_owner') throw new LatchkeyError('conflict', LAST_OWNER);
  if (changed === 'not_found') throw new LatchkeyError('not_found', 'no such member');
  return changed;
}

export async function removeMember(store: Store, mail: AccountMail, accountId: string, member: User, by: TeamActor): Promise<void> {
  if (member.role === 'owner' && (await store.listMembers(accountId)).filter((m) => m.role === 'owner').length <= 1) {
    throw new LatchkeyError('conflict', LAST_OWNER);
  }
  // Sessions and grants first: a crash after these leaves a signed-out member whose apps lost access,
  // never a removed member still signed in or an app of theirs with access.
  await new UserSessions(store.oidc).endAll(member.id);
  const at = new Date();
  for (const grant of await store.oidc.listGrants(member.id)) {
    if (typeof grant.jti === 'string') await store.oidc.revokeByGrantId(grant.jti, { reason: 'member_removed', actor: by.name, at });
  }
  const account = await store.findAccount(accountId);
  const notice = await mail.mailer.compose('member_removed', member.email, {
    email: member.email, accountName: account?.name ?? accountId, remover: by.label, at: at.toUTCString(),
  });
  const removed = await store.removeMember(accountId, member.id, { mails: [notice], events: [event(accountId, by, 'member.removed', member, { role: member.role })] });
  if (removed === 'last_owner') throw new LatchkeyError('conflict', LAST_OWNER);
  if (removed === 'not_found') throw new LatchkeyError('not_found', 'no such member');
  mail.mailer.written();
}

/** The live keys and apps a member created: they belong to the account and keep working after the member goes. */
export async function membersCredentials(store: Store, accountId: string, userId: string): Promise<{ keys: ApiKeyRecord[]; apps: ClientRecord[] }> {
  const creator = `user:${userId}`;
  const now = Date.now();
  const keys = (await store.listApiKeys(accountId)).filter((k) => k.createdBy === creator && !k.revokedAt && (!k.expiresAt || k.expiresAt.getTime() > now));
  const apps = (await store.listClients(accountId)).filter((c) => c.createdBy === creator);
  return { keys, apps };
}

export async function setPolicy(store: Store, accountId: string, policy: AccountPolicy, by: TeamActor): Promise<void> {
  await store.setPolicy(accountId, policy, {
    id: generateSortableId('evt'), accountId, actor: by.name, action: 'account.policy_changed', targetId: accountId, reason: undefined,
    at: new Date(), detail: { require_two_factor: String(policy.requireTwoFactor), live_admins_only: String(policy.liveAdminsOnly) },
  });
}
