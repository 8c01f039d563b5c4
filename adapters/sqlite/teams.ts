// An account's members and invitations on the embedded store. Role changes and removals check the
// owners left inside their transaction (SQLite runs one writer at a time), so the last owner stays.
import type { Role } from '../../config/roles.ts';
import { isRole } from '../../config/roles.ts';
import type {
  AccountPolicy, AccountsAlong, AuditEvent, Invitation, MembershipRefusal, NewUser, TeamStore, User,
} from '../contract.ts';
import { toUser, insertUser, writeAccountsAlong } from './accounts.ts';
import { insertAuditEvent } from './audit.ts';
import type { Database, Row } from './database.ts';

const date = (value: unknown) => (value === null || value === undefined ? undefined : new Date(Number(value)));

function toInvitation(row: Row): Invitation {
  return {
    id: String(row.id), accountId: String(row.account_id), email: String(row.email), role: isRole(row.role) ? row.role : 'viewer',
    tokenHash: String(row.token_hash), invitedBy: String(row.invited_by), createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)), acceptedAt: date(row.accepted_at), revokedAt: date(row.revoked_at),
  };
}

export class SqliteTeams implements TeamStore {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  async listMembers(accountId: string): Promise<User[]> {
    return (this.#db.sql('SELECT * FROM users WHERE account_id = ? ORDER BY created_at, id').all(accountId) as Row[]).map(toUser);
  }

  /** The member, unless the change would take the account's last owner away. */
  #member(accountId: string, userId: string, losesOwner: (user: User) => boolean): User | MembershipRefusal {
    const row = this.#db.sql('SELECT * FROM users WHERE id = ? AND account_id = ?').get(userId, accountId) as Row | undefined;
    if (!row) return 'not_found';
    const user = toUser(row);
    if (!losesOwner(user)) return user;
    const owners = this.#db.sql("SELECT COUNT(*) AS n FROM users WHERE account_id = ? AND role = 'owner'").get(accountId) as Row;
    return Number(owners.n) <= 1 ? 'last_owner' : user;
  }

  async changeRole(accountId: string, userId: string, role: Role, along: AccountsAlong): Promise<User | MembershipRefusal> {
    return this.#db.transaction(() => {
      const found = this.#member(accountId, userId, (user) => user.role === 'owner' && role !== 'owner');
      if (typeof found === 'string') return found;
      this.#db.sql('UPDATE users SET role = ? WHERE id = ?').run(role, userId);
      writeAccountsAlong(this.#db, along);
      return { ...found, role };
    });
  }

  async removeMember(accountId: string, userId: string, along: AccountsAlong): Promise<User | MembershipRefusal> {
    return this.#db.transaction(() => {
      const found = this.#member(accountId, userId, (user) => user.role === 'owner');
      if (typeof found === 'string') return found;
      this.#db.sql('DELETE FROM users WHERE id = ?').run(userId);
      writeAccountsAlong(this.#db, along);
      return found;
    });
  }

  async setPolicy(accountId: string, policy: AccountPolicy, event: AuditEvent): Promise<void> {
    this.#db.transaction(() => {
      this.#db.sql('UPDATE accounts SET require_two_factor = ?, live_admins_only = ? WHERE id = ?')
        .run(policy.requireTwoFactor ? 1 : 0, policy.liveAdminsOnly ? 1 : 0, accountId);
      insertAuditEvent(this.#db, event);
    });
  }

  async createInvitation(invitation: Invitation, along: AccountsAlong): Promise<void> {
    this.#db.transaction(() => {
      this.#db.sql('UPDATE invitations SET revoked_at = ? WHERE account_id = ? AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL')
        .run(invitation.createdAt.getTime(), invitation.accountId, invitation.email.toLowerCase());
      this.#db.sql(`
        INSERT INTO invitations (id, account_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      `).run(invitation.id, invitation.accountId, invitation.email.toLowerCase(), invitation.role, invitation.tokenHash,
        invitation.invitedBy, invitation.createdAt.getTime(), invitation.expiresAt.getTime());
      writeAccountsAlong(this.#db, along);
    });
  }

  async findInvitation(id: string): Promise<Invitation | undefined> {
    const row = this.#db.sql('SELECT * FROM invitations WHERE id = ?').get(id) as Row | undefined;
    return row ? toInvitation(row) : undefined;
  }

  async findInvitationByHash(tokenHash: string): Promise<Invitation | undefined> {
    const row = this.#db.sql('SELECT * FROM invitations WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return row ? toInvitation(row) : undefined;
  }

  async listInvitations(accountId: string): Promise<Invitation[]> {
    return (this.#db.sql(`
      SELECT * FROM invitations WHERE account_id = ? AND accepted_at IS NULL AND revoked_at IS NULL ORDER BY id DESC
    `).all(accountId) as Row[]).map(toInvitation);
  }

  async revokeInvitation(id: string, at: Date, event: AuditEvent): Promise<boolean> {
    return this.#db.transaction(() => {
      const changed = this.#db.sql('UPDATE invitations SET revoked_at = ? WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL')
        .run(at.getTime(), id).changes > 0;
      if (changed) insertAuditEvent(this.#db, event);
      return changed;
    });
  }

  async renewInvitation(id: string, tokenHash: string, expiresAt: Date, along: AccountsAlong): Promise<boolean> {
    return this.#db.transaction(() => {
      const changed = this.#db.sql('UPDATE invitations SET token_hash = ?, expires_at = ? WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL')
        .run(tokenHash, expiresAt.getTime(), id).changes > 0;
      if (changed) writeAccountsAlong(this.#db, along);
      return changed;
    });
  }

  async acceptInvitation(id: string, user: NewUser, at: Date, along: AccountsAlong): Promise<User | undefined> {
    return this.#db.transaction(() => {
      const row = this.#db.sql(`
        UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ? RETURNING *
      `).get(at.getTime(), id, at.getTime()) as Row | undefined;
      if (!row) return undefined;
      const invitation = toInvitation(row);
      insertUser(this.#db, { ...user, accountId: invitation.accountId, email: invitation.email, role: invitation.role });
      writeAccountsAlong(this.#db, along);
      return toUser(this.#db.sql('SELECT * FROM users WHERE id = ?').get(user.id) as Row);
    });
  }
}
