// The CLI's member commands: the operator invites, lists and removes members of any account. An
// invitation's mail goes to the outbox with the invitation (the server's mail worker sends it);
// the answer holds the invitation's id, never its link.
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import type { Settings } from '../config/settings.ts';
import { authorize, authorizeMembership } from '../server/authority/authorize.ts';
import { OPERATOR } from '../server/authority/identify.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { Mailer } from '../server/mail/mailer.ts';
import { presentInvitation, presentMember } from '../server/management/members.ts';
import { checkRole, invite } from '../server/teams/invitations.ts';
import { membersCredentials, removeMember } from '../server/teams/members.ts';

const OPERATOR_ACTOR = { name: OPERATOR.name, label: 'The operator of Latchkey' };

export interface MemberOptions {
  readonly account: string;
  readonly email?: string | undefined;
  readonly role?: string | undefined;
}

/** Composes mail into the outbox; the server's worker sends it (this process starts no sender). */
async function accountMail(store: Store, settings: Settings) {
  const { pepper } = await loadKeyMaterial(settings, store, consoleLogger);
  const mailer = new Mailer({
    settings: settings.mail, issuer: settings.issuer, dataDir: settings.dataDir, production: settings.nodeEnv === 'production', pepper, store, log: consoleLogger,
  });
  return { mailer, pepper };
}

async function accountOf(store: Store, id: string): Promise<string> {
  if (!await store.findAccount(id)) throw new LatchkeyError('not_found', `no account ${id}`);
  return id;
}

export async function runMemberCommand(command: string, store: Store, settings: Settings, options: MemberOptions): Promise<Record<string, unknown>> {
  const accountId = await accountOf(store, options.account);
  if (command === 'member list') {
    authorize(OPERATOR, { resource: 'members', verb: 'read' }, settings.issuer);
    const [members, invitations] = await Promise.all([store.listMembers(accountId), store.listInvitations(accountId)]);
    return { account_id: accountId, members: members.map(presentMember), invitations: invitations.map((i) => presentInvitation(i)) };
  }
  const email = options.email ?? '';
  if (command === 'member invite') {
    const role = checkRole(options.role);
    authorizeMembership(OPERATOR, { accountId, to: role }, settings.issuer);
    return presentInvitation(await invite(store, await accountMail(store, settings), accountId, { email, role }, OPERATOR_ACTOR));
  }
  // member remove
  const member = await store.findUserByEmail(email);
  if (!member || member.accountId !== accountId) throw new LatchkeyError('not_found', `no member ${email} in ${accountId}`);
  authorizeMembership(OPERATOR, { accountId, from: member.role }, settings.issuer);
  const created = await membersCredentials(store, accountId, member.id);
  await removeMember(store, await accountMail(store, settings), accountId, member, OPERATOR_ACTOR);
  return { ...presentMember(member), removed: true, still_working: { api_keys: created.keys.map((k) => k.id), clients: created.apps.map((c) => c.id) } };
}
