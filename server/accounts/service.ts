// Accounts (a customer organisation) and their users.
import { DuplicateError, type AccountsAlong, type AccountStore, type User } from '../../adapters/contract.ts';
import { ValidationError } from '../../config/errors.ts';
import { checkEmail, checkName, normaliseEmail } from '../http/input-rules.ts';
import { generateId } from '../secrets.ts';
import { recordFailedSignIn, recordSignIn, type AuditStore, type RequestOrigin } from './account-events.ts';
import { passwordProblem } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { SignInLimits } from './sign-in-limits.ts';

/** The email belongs to an existing user: sign-up says so (see server/accounts/sign-up.ts for why). */
export class EmailTakenError extends ValidationError {
  constructor() {
    super('email', 'email is already registered');
    this.name = 'EmailTakenError';
  }
}

export interface NewAccountInput {
  readonly name: string;
  readonly email: string;
  readonly password: string;
  /** The operator (the CLI) vouches for the address: it starts confirmed. */
  readonly verified?: boolean;
}

/** Every problem of a new account's fields at once (name, email, password), by field; empty when none. */
export function accountInputProblems(input: Pick<NewAccountInput, 'name' | 'email' | 'password'>): Record<string, string> {
  const problems: Record<string, string> = {};
  const attempt = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      problems[err.field] = err.message;
    }
  };
  attempt(() => checkName(input.name));
  attempt(() => checkEmail(input.email));
  const problem = passwordProblem(input.password, { email: input.email.trim().toLowerCase(), accountName: input.name.trim() });
  if (problem) problems.password = problem;
  return problems;
}

/**
 * Creates an account and its owner, with what `along` gives for the new user (the verification
 * link and mail, the audit event) in the same transaction. EmailTakenError when the address has a user.
 */
export async function createAccountWithUser(
  store: AccountStore,
  input: NewAccountInput,
  along: (created: { accountId: string; userId: string; email: string; name: string }) => Promise<AccountsAlong> = async () => ({}),
): Promise<{ accountId: string; userId: string }> {
  // Account names follow the rules of client names; emails are normalised (server/http/input-rules.ts).
  const name = checkName(input.name);
  const email = checkEmail(input.email);
  const problem = passwordProblem(input.password, { email, accountName: name });
  if (problem) throw new ValidationError('password', problem);
  const accountId = generateId('acct');
  const userId = generateId('user');
  const now = new Date();
  const passwordHash = await hashPassword(input.password);
  try {
    await store.createAccount(
      { id: accountId, name, createdAt: now },
      { id: userId, accountId, email, passwordHash, createdAt: now, ...(input.verified ? { emailVerifiedAt: now } : {}) },
      await along({ accountId, userId, email, name }),
    );
  } catch (err) {
    if (err instanceof DuplicateError && err.field === 'email') throw new EmailTakenError();
    throw err;
  }
  return { accountId, userId };
}

export type SignIn =
  | { readonly outcome: 'ok'; readonly user: User }
  /** Wrong password or unknown email: one answer, no hint which. */
  | { readonly outcome: 'invalid'; readonly message: string }
  /** Refused by a sign-in limit (sign-in-limits.ts) before the password was checked. */
  | { readonly outcome: 'limited'; readonly message: string; readonly retryAfter: number };

export const INVALID_CREDENTIALS = 'Email or password is incorrect.';

/** "2 seconds", "15 minutes", "1 hour": a wait rounded up, for people. */
export function waitInWords(retryAfter: number): string {
  const [count, unit] = retryAfter < 60 ? [retryAfter, 'second']
    : retryAfter < 3600 ? [Math.ceil(retryAfter / 60), 'minute'] : [Math.ceil(retryAfter / 3600), 'hour'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "Try again in 2 seconds", "in 15 minutes", "in 1 hour": rounded up, for people. */
export function tooManySignIns(retryAfter: number): string {
  return `Too many failed sign-ins. Try again in ${waitInWords(retryAfter)}.`;
}

/**
 * Checks email and password from one address. The attempt is reserved under the sign-in limits
 * before the password is checked; unknown emails cost the same time and count the same way.
 */
export async function signIn(
  store: AccountStore & AuditStore, limits: SignInLimits, email: string, password: string, origin: RequestOrigin,
): Promise<SignIn> {
  const { address } = origin;
  // One form of the address for the limits and the look-up: a fullwidth or upper-case spelling is
  // the same address, and counts as one.
  const normalised = normaliseEmail(email);
  const admission = await limits.admit(normalised ?? email.trim().toLowerCase(), address);
  if (!admission.allowed) {
    return { outcome: 'limited', message: tooManySignIns(admission.retryAfter), retryAfter: admission.retryAfter };
  }
  const user = normalised ? await store.findUserByEmail(normalised) : undefined;
  // Without a user this verifies against a dummy hash: as slow as a wrong password.
  if (await verifyPassword(user?.passwordHash, password) && user) {
    await limits.succeeded(admission.reservation);
    // With two-factor on, the sign-in is recorded once the code is right (pending-sign-in.ts).
    if (!user.totp) await recordSignIn(store, user, origin, ['pwd']);
    return { outcome: 'ok', user };
  }
  await limits.failed(admission.reservation);
  if (user) await recordFailedSignIn(store, user, origin, 'password');
  return { outcome: 'invalid', message: INVALID_CREDENTIALS };
}
