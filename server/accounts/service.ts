// Accounts (a customer organisation) and their users.
import { DuplicateError, type AccountStore, type User } from '../../adapters/contract.ts';
import { generateId } from '../secrets.ts';
import { humanDuration } from '../../config/lifetimes.ts';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './passwords.ts';
import type { LoginThrottle } from './throttle.ts';

export class ValidationError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createAccountWithUser(
  store: AccountStore,
  input: { name: string; email: string; password: string },
): Promise<{ accountId: string; userId: string }> {
  const name = input.name.trim();
  if (!name || name.length > 200) throw new ValidationError('name', 'name must be 1 to 200 characters');
  if (!EMAIL.test(input.email) || input.email.length > 254) {
    throw new ValidationError('email', 'email must be an email address');
  }
  if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > 1024) {
    throw new ValidationError('password', `password must be ${MIN_PASSWORD_LENGTH} to 1024 characters`);
  }
  const accountId = generateId('acct');
  const userId = generateId('user');
  const now = new Date();
  const passwordHash = await hashPassword(input.password);
  try {
    await store.createAccount(
      { id: accountId, name, createdAt: now },
      { id: userId, accountId, email: input.email.toLowerCase(), passwordHash, createdAt: now },
    );
  } catch (err) {
    if (err instanceof DuplicateError) throw new ValidationError('email', 'email is already registered');
    throw err;
  }
  return { accountId, userId };
}

export type SignIn =
  | { readonly outcome: 'ok'; readonly user: User }
  /** Wrong password or unknown email: one answer, no hint which. */
  | { readonly outcome: 'invalid'; readonly message: string }
  | { readonly outcome: 'locked'; readonly message: string };

export const INVALID_CREDENTIALS = 'Email or password is incorrect.';
export function lockedOut(lockoutSeconds: number): string {
  return `Too many failed sign-ins for this email. Try again in ${humanDuration(lockoutSeconds)}.`;
}

/** Checks email and password, counting failures per email (see throttle.ts). */
export async function signIn(store: AccountStore, throttle: LoginThrottle, email: string, password: string): Promise<SignIn> {
  if (await throttle.isLocked(email)) return { outcome: 'locked', message: lockedOut(throttle.lockoutSeconds) };
  const user = email ? await store.findUserByEmail(email) : undefined;
  if (user && await verifyPassword(user.passwordHash, password)) {
    await throttle.reset(email);
    return { outcome: 'ok', user };
  }
  if (!user) await verifyPassword(undefined, password); // as slow as a wrong password
  await throttle.recordFailure(email);
  return { outcome: 'invalid', message: INVALID_CREDENTIALS };
}
