// An account's members and invitations on MongoDB. A role change or removal that could take away an
// owner first writes the account document inside its transaction: two such changes at once then
// conflict, one retries and counts the owners the other left, so the last owner stays.
import type { ClientSession } from 'mongodb';
import type { Role } from '../../config/roles.ts';
import type {
  AccountPolicy, AccountsAlong, AuditEvent, Invitation, MembershipRefusal, NewUser, TeamStore, User,
} from '../contract.ts';
import { ACCOUNT_FIELDS, toUser, userDocument, writeAccountsAlong } from './accounts.ts';
import { insertAuditEvent } from './audit.ts';
import { guard, uniquely, type Connection } from './connection.ts';
import type { InvitationDocument } from './documents.ts';

function toInvitation(doc: InvitationDocument): Invitation {
  return {
    id: doc._id, accountId: doc.accountId, email: doc.email, role: doc.role, tokenHash: doc.tokenHash, invitedBy: doc.invitedBy,
    createdAt: doc.createdAt, expiresAt: doc.expiresAt, acceptedAt: doc.acceptedAt ?? undefined, revokedAt: doc.revokedAt ?? undefined,
  };
}

const PENDING = { acceptedAt: null, revokedAt: null } as const;

export class MongoTeams implements TeamStore {
  readonly #c: Connection;
  constructor(connection: Connection) {
    this.#c = connection;
  }

  async listMembers(accountId: string): Promise<User[]> {
    const docs = await guard(() => this.#c.users().find({ accountId }).sort({ createdAt: 1, _id: 1 }).toArray());
    return docs.map(toUser);
  }

  /** The member, unless the change would take the account's last owner away. */
  async #member(accountId: string, userId: string, losesOwner: (user: User) => boolean, session: ClientSession): Promise<User | MembershipRefusal> {
    const doc = await this.#c.users().findOne({ _id: userId, accountId }, { session });
    if (!doc) return 'not_found';
    const user = toUser(doc);
    if (!losesOwner(user)) return user;
    // Serialises owner changes per account (see the header).
    await this.#c.accounts().updateOne({ _id: accountId }, { $set: { ownersCheckedAt: new Date() } }, { session });
    // A user from before version 10 the migration has not reached counts as an owner, as toUser reads it.
    const owners = await this.#c.users().countDocuments({ accountId, $or: [{ role: 'owner' }, { role: { $exists: false } }] }, { session });
    return owners <= 1 ? 'last_owner' : user;
  }

  async changeRole(accountId: string, userId: string, role: Role, along: AccountsAlong): Promise<User | MembershipRefusal> {
    return this.#c.transaction(async (session) => {
      const found = await this.#member(accountId, userId, (user) => user.role === 'owner' && role !== 'owner', session);
      if (typeof found === 'string') return found;
      await this.#c.users().updateOne({ _id: userId }, { $set: { role } }, { session });
      await writeAccountsAlong(this.#c, along, session);
      return { ...found, role };
    });
  }

  async removeMember(accountId: string, userId: string, along: AccountsAlong): Promise<User | MembershipRefusal> {
    return this.#c.transaction(async (session) => {
      const found = await this.#member(accountId, userId, (user) => user.role === 'owner', session);
      if (typeof found === 'string') return found;
      await this.#c.users().deleteOne({ _id: userId }, { session });
      await this.#c.userTokens().deleteMany({ userId }, { session });
      await writeAccountsAlong(this.#c, along, session);
      return found;
    });
  }

  async setPolicy(accountId: string, policy: AccountPolicy, event: AuditEvent): Promise<void> {
    await this.#c.transaction(async (session) => {
      await this.#c.accounts().updateOne({ _id: accountId }, { $set: { requireTwoFactor: policy.requireTwoFactor, liveAdminsOnly: policy.liveAdminsOnly } }, { session });
      await insertAuditEvent(this.#c, event, session);
    });
  }

  async createInvitation(invitation: Invitation, along: AccountsAlong): Promise<void> {
    await this.#c.transaction(async (session) => {
      const email = invitation.email.toLowerCase();
      await this.#c.invitations().updateMany({ accountId: invitation.accountId, email, ...PENDING }, { $set: { revokedAt: invitation.createdAt } }, { session });
      await this.#c.invitations().insertOne({
        _id: invitation.id, accountId: invitation.accountId, email, role: invitation.role, tokenHash: invitation.tokenHash,
        invitedBy: invitation.invitedBy, createdAt: invitation.createdAt, expiresAt: invitation.expiresAt, acceptedAt: null, revokedAt: null,
      }, { session });
      await writeAccountsAlong(this.#c, along, session);
    });
  }

  async findInvitation(id: string): Promise<Invitation | undefined> {
    const doc = await guard(() => this.#c.invitations().findOne({ _id: id }));
    return doc ? toInvitation(doc) : undefined;
  }

  async findInvitationByHash(tokenHash: string): Promise<Invitation | undefined> {
    const doc = await guard(() => this.#c.invitations().findOne({ tokenHash }));
    return doc ? toInvitation(doc) : undefined;
  }

  async listInvitations(accountId: string): Promise<Invitation[]> {
    const docs = await guard(() => this.#c.invitations().find({ accountId, ...PENDING }).sort({ _id: -1 }).toArray());
    return docs.map(toInvitation);
  }

  async revokeInvitation(id: string, at: Date, event: AuditEvent): Promise<boolean> {
    return this.#c.transaction(async (session) => {
      const { modifiedCount } = await this.#c.invitations().updateOne({ _id: id, ...PENDING }, { $set: { revokedAt: at } }, { session });
      if (modifiedCount > 0) await insertAuditEvent(this.#c, event, session);
      return modifiedCount > 0;
    });
  }

  async renewInvitation(id: string, tokenHash: string, expiresAt: Date, along: AccountsAlong): Promise<boolean> {
    return this.#c.transaction(async (session) => {
      const { modifiedCount } = await this.#c.invitations().updateOne({ _id: id, ...PENDING }, { $set: { tokenHash, expiresAt } }, { session });
      if (modifiedCount > 0) await writeAccountsAlong(this.#c, along, session);
      return modifiedCount > 0;
    });
  }

  async acceptInvitation(id: string, user: NewUser, at: Date, along: AccountsAlong): Promise<User | undefined> {
    return uniquely('email', () => this.#c.transaction(async (session) => {
      const invitation = await this.#c.invitations().findOneAndUpdate(
        { _id: id, ...PENDING, expiresAt: { $gt: at } }, { $set: { acceptedAt: at } }, { session, returnDocument: 'after' },
      );
      if (!invitation) return undefined;
      const created = userDocument({ ...user, accountId: invitation.accountId, email: invitation.email, role: invitation.role });
      await this.#c.users().insertOne(created, { session });
      await writeAccountsAlong(this.#c, along, session);
      return toUser(created);
    }), ACCOUNT_FIELDS);
  }
}
