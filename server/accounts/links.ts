// Single-use links mailed to a user (confirm an address, reset a password): a random token in the
// mail, its HMAC under the pepper in the store, so a copy of the database opens no account.
import type { Store, UserToken, UserTokenPurpose } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { findByAnyPepper, randomBase62, SECRET_LENGTH, type Pepper } from '../secrets.ts';

const LIFETIME: Readonly<Record<UserTokenPurpose, number>> = {
  verify_email: LIFETIMES.emailVerificationLink,
  reset_password: LIFETIMES.passwordResetLink,
};

/** The longest a presented token may be; anything longer is no token of ours. */
export const MAX_TOKEN_LENGTH = 64;

export interface MailedLink {
  /** Goes in the mail only. */
  readonly token: string;
  readonly record: UserToken;
}

export function newLink(pepper: Pepper, purpose: UserTokenPurpose, userId: string, email: string): MailedLink {
  const token = randomBase62(SECRET_LENGTH);
  const createdAt = new Date();
  return {
    token,
    record: { hash: pepper.hash(`${purpose}:${token}`), userId, purpose, email, createdAt, expiresAt: new Date(createdAt.getTime() + LIFETIME[purpose] * 1000) },
  };
}

/**
 * The stored link a presented token is, under whichever pepper it was made, and its stored hash;
 * undefined for anything that cannot be one or is unknown.
 */
export async function findLink(store: Pick<Store, 'findUserToken'>, pepper: Pepper, purpose: UserTokenPurpose, token: string | undefined) {
  if (!token || token.length > MAX_TOKEN_LENGTH || !/^[0-9A-Za-z]+$/.test(token)) return undefined;
  const hit = await findByAnyPepper(pepper, `${purpose}:${token}`, (hash) => store.findUserToken(hash, purpose));
  return hit ? { hash: hit.hash, link: hit.found } : undefined;
}
