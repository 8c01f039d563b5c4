// The storage contract of accounts, their users, the single-use links mailed to them, and the mail
// outbox. A change that causes a mail writes the mail in the change's own transaction (`along`), so
// a crash never loses one and never sends one for a change that did not happen.
import type { Role } from '../config/roles.ts';
import type { AuditEvent } from './contract-base.ts';

/** What an owner or admin decides for every member of the account (docs/teams.md). */
export interface AccountPolicy {
  /** Every member must have two-factor on: one without it is sent to enrolment at sign-in. */
  readonly requireTwoFactor: boolean;
  /** Creating, rolling, rotating or deleting live credentials is for owners and admins only. */
  readonly liveAdminsOnly: boolean;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly policy: AccountPolicy;
}

/** An account as created: its policy starts with nothing required. */
export type NewAccount = Pick<Account, 'id' | 'name' | 'createdAt'>;

/** A user's second factor: the TOTP secret sealed under the pepper (server/accounts/two-factor.ts). */
export interface TotpState {
  readonly sealedSecret: string;
  readonly enabledAt: Date;
  /** The newest time step accepted: a code is accepted once, never for an earlier or the same step. */
  readonly lastStep: number;
}

export interface User {
  readonly id: string;
  readonly accountId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAt: Date;
  /** When the address was shown to be the user's (a mailed link, or the operator's CLI); unset until then. */
  readonly emailVerifiedAt: Date | undefined;
  readonly totp: TotpState | undefined;
  /** HMACs of the unused recovery codes; a used one is removed. */
  readonly recoveryCodes: readonly string[];
  /** The member's role in the account (config/roles.ts); the user who creates an account is its owner. */
  readonly role: Role;
}

/** A user as created: no second factor yet; verified only when the operator vouches (the CLI); an owner unless said. */
export type NewUser = Pick<User, 'id' | 'accountId' | 'email' | 'passwordHash' | 'createdAt'> & {
  readonly emailVerifiedAt?: Date;
  readonly role?: Role;
};

/** What a user change sets; an absent field is left as it is, `null` clears it. */
export interface UserChange {
  readonly passwordHash?: string;
  readonly email?: string;
  readonly emailVerifiedAt?: Date;
  readonly totp?: TotpState | null;
  readonly recoveryCodes?: readonly string[];
}

/** What a single-use link is for. */
export type UserTokenPurpose = 'verify_email' | 'reset_password';

/** A single-use link: the store keeps only the HMAC of the token the mail carries. */
export interface UserToken {
  readonly hash: string;
  readonly userId: string;
  readonly purpose: UserTokenPurpose;
  /** The address the link was mailed to: verifying it makes it the user's email. */
  readonly email: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** One mail, rendered and sealed by the server (its body can carry a link that is a secret). */
export interface OutgoingMail {
  /** `mail_…`, sortable; the Message-ID is made from it, so a resend is the same message. */
  readonly id: string;
  readonly to: string;
  /** Which mail (`verify_email`, `password_reset`, …): for logs and the development mailbox. */
  readonly template: string;
  readonly sealed: string;
  readonly createdAt: Date;
}

export type MailStatus = 'pending' | 'sent' | 'failed';

export interface QueuedMail extends OutgoingMail {
  readonly status: MailStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | undefined;
}

/** What is written with a change, in its transaction. */
export interface AccountsAlong {
  readonly mails?: readonly OutgoingMail[];
  readonly tokens?: readonly UserToken[];
  readonly events?: readonly AuditEvent[];
}

export interface AccountStore {
  /** Creates the account and its first user (and `along`), all or nothing; DuplicateError when the email is taken. */
  createAccount(account: NewAccount, owner: NewUser, along?: AccountsAlong): Promise<void>;
  findAccount(id: string): Promise<Account | undefined>;
  /** Rejects with DuplicateError when the email is taken (emails are compared lower-cased). */
  createUser(user: NewUser): Promise<void>;
  findUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
  /** Users with two-factor on, in id order, the page after `after` (`latchkey pepper rotate` re-seals their secrets). */
  listUsersWithTwoFactor(page: { limit: number; after?: string | undefined }): Promise<User[]>;
  /**
   * Applies the change and writes `along`, all or nothing; the user as it is after, or undefined
   * when there is no such user. DuplicateError when a new email is taken.
   */
  updateUser(userId: string, change: UserChange, along?: AccountsAlong): Promise<User | undefined>;
  /** Writes `along` alone (a mail that goes with no change, a new link), all or nothing. */
  writeAlong(along: AccountsAlong): Promise<void>;
  /** A link that is neither used nor expired; undefined otherwise. */
  findUserToken(hash: string, purpose: UserTokenPurpose): Promise<UserToken | undefined>;
  /**
   * Uses a link once: marks it used, applies the change to its user and writes `along`, all or
   * nothing. Undefined (and nothing written) when it is unknown, used, expired or for another
   * purpose. Every other unused link of the user for the same purpose dies with it.
   */
  useUserToken(hash: string, purpose: UserTokenPurpose, change: UserChange, along?: AccountsAlong): Promise<User | undefined>;
}

export interface MailStore {
  /**
   * Up to `limit` pending mails due at `now`, each leased to `owner` for `leaseSeconds`: another
   * worker does not take it meanwhile. A lease that ends unanswered makes the mail due again.
   */
  claimMails(owner: string, now: Date, limit: number, leaseSeconds: number): Promise<QueuedMail[]>;
  /** Records an attempt, if `owner` still holds the lease: sent, failed for good, or pending until `nextAttemptAt`. */
  finishMail(id: string, owner: string, outcome: {
    readonly status: MailStatus; readonly at: Date; readonly nextAttemptAt?: Date; readonly error?: string;
  }): Promise<boolean>;
  /** The newest mails first, without their bodies' secrets (sealed): for the development mailbox. */
  listMails(limit: number): Promise<QueuedMail[]>;
  /** Pending mails in id order, after `after`: for sealing their bodies again under a new pepper. */
  listPendingMails(page: { readonly limit: number; readonly after?: string | undefined }): Promise<QueuedMail[]>;
  /** Replaces a pending mail's sealed body if it still holds `expected`; false otherwise (sent meanwhile, say). */
  resealMail(id: string, expected: string, sealed: string): Promise<boolean>;
}
