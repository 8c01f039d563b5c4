// The storage contract of an account's members and invitations. A member's role changes, a removal
// and an invitation's use are conditional writes: the last owner cannot be demoted or removed, even
// by two owners acting at once, and an invitation is used once.
import type { Role } from '../config/roles.ts';
import type { AccountPolicy, AccountsAlong, NewUser, User } from './contract-accounts.ts';
import type { AuditEvent } from './contract-base.ts';

export interface Invitation {
  /** `inv_…`, sortable. */
  readonly id: string;
  readonly accountId: string;
  /** The invited address, lower-cased: only a user with it may accept. */
  readonly email: string;
  readonly role: Role;
  /** The HMAC of the token the mail carries; never the token. */
  readonly tokenHash: string;
  /** Who invited: `user:<id>` or `operator`. */
  readonly invitedBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly acceptedAt: Date | undefined;
  readonly revokedAt: Date | undefined;
}

/** Why a membership change was not made. */
export type MembershipRefusal = 'not_found' | 'last_owner';

export interface TeamStore {
  /** The account's members, oldest first. */
  listMembers(accountId: string): Promise<User[]>;
  /**
   * Sets a member's role and writes `along` (its event, a mail), all or nothing; `last_owner` (and
   * nothing changed) when that would leave the account without an owner.
   */
  changeRole(accountId: string, userId: string, role: Role, along: AccountsAlong): Promise<User | MembershipRefusal>;
  /**
   * Deletes the member (their links go with them) and writes `along`, all or nothing; `last_owner`
   * when they are the account's only owner. What they created belongs to the account and stays.
   */
  removeMember(accountId: string, userId: string, along: AccountsAlong): Promise<User | MembershipRefusal>;
  /** Sets the account's policy with `event`. */
  setPolicy(accountId: string, policy: AccountPolicy, event: AuditEvent): Promise<void>;

  /** Stores a new invitation and writes `along` (its mail, its event); a pending one for the same address in the account is revoked. */
  createInvitation(invitation: Invitation, along: AccountsAlong): Promise<void>;
  findInvitation(id: string): Promise<Invitation | undefined>;
  findInvitationByHash(tokenHash: string): Promise<Invitation | undefined>;
  /** Invitations neither accepted nor revoked (expired ones too, marked by their expiry), newest first. */
  listInvitations(accountId: string): Promise<Invitation[]>;
  /** Revokes a pending invitation with `event`; false when it was not pending. */
  revokeInvitation(id: string, at: Date, event: AuditEvent): Promise<boolean>;
  /** A new token (and expiry) for a pending invitation, with `along` (the new mail); false when it was not pending. */
  renewInvitation(id: string, tokenHash: string, expiresAt: Date, along: AccountsAlong): Promise<boolean>;
  /**
   * Uses a pending, unexpired invitation once: creates `user` in its account with its role, marks
   * it accepted and writes `along`, all or nothing. Undefined (nothing written) when the invitation
   * is not usable; DuplicateError when the address has a user by now.
   */
  acceptInvitation(id: string, user: NewUser, at: Date, along: AccountsAlong): Promise<User | undefined>;
}
