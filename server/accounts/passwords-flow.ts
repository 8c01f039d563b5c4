// Forgetting, resetting and changing a password. A reset request gets the same answer whether or not
// the address has an account (the same page, the same time, a mail only when it has); its link is
// single use, valid LIFETIMES.passwordResetLink, stored hashed, and rate limited per address and per
// email. A reset ends every session of the user first, then sets the password with a notice mail;
// it never turns two-factor off. A change needs the current password; the caller ends the user's
// other sessions.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store, User } from '../../adapters/contract.ts';
import { ValidationError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey } from '../limits/failures.ts';
import { normaliseEmail } from '../http/input-rules.ts';
import { findLink, newLink } from './links.ts';
import { passwordProblem } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { userEvent, type RequestOrigin } from './account-events.ts';
import type { AccountMail } from './verification.ts';

const HOUR = 3600;

export type ResetRequest = { readonly outcome: 'sent' } | { readonly outcome: 'limited'; readonly retryAfter: number };

/** "Forgot password?": mails a reset link when the address has an account; the answer is the same either way. */
export async function requestReset(store: Store, mail: AccountMail, email: string, origin: RequestOrigin): Promise<ResetRequest> {
  const started = Date.now();
  const fromAddress = await store.hitCounter(limitKey('reset:source', addressKey(origin.address)), HOUR);
  if (fromAddress.count > LIMITS.resetRequestsPerAddress) {
    return { outcome: 'limited', retryAfter: Math.max(1, Math.ceil((fromAddress.resetAt.getTime() - Date.now()) / 1000)) };
  }
  const address = normaliseEmail(email) ?? email.trim().toLowerCase();
  const forEmail = await store.hitCounter(limitKey('reset:email', address), HOUR);
  const user = await store.findUserByEmail(address);
  // The same work for an unknown address: a link and a mail are made, and only stored for a user.
  const link = newLink(mail.pepper, 'reset_password', user?.id ?? 'nobody', address);
  const message = await mail.mailer.compose('password_reset', address, { email: address, link: mail.mailer.link('/portal/reset', { link: link.token }) });
  if (user && forEmail.count <= LIMITS.resetMailsPerEmail) {
    await store.writeAlong({ tokens: [link.record], mails: [message], events: [userEvent(user, 'user.password_reset_requested', origin)] });
    mail.mailer.written();
  }
  // The store write above is the one difference in work: both answers wait out the same floor.
  await sleep(Math.max(0, LIMITS.resetAnswerMinMs - (Date.now() - started)));
  return { outcome: 'sent' };
}

/** The address a presented reset link is for, while it is unused and unexpired. */
export async function pendingReset(store: Store, pepper: AccountMail['pepper'], token: string | undefined): Promise<string | undefined> {
  return (await findLink(store, pepper, 'reset_password', token))?.link.email;
}

export type Reset =
  | { readonly outcome: 'done'; readonly user: User }
  | { readonly outcome: 'unusable' }
  | { readonly outcome: 'invalid'; readonly message: string };

/** Sets a new password from a reset link: every session of the user ends; two-factor stays as it is. */
export async function resetPassword(
  store: Store, mail: AccountMail, endSessions: (userId: string) => Promise<void>, token: string | undefined, password: string, origin: RequestOrigin,
): Promise<Reset> {
  const hit = await findLink(store, mail.pepper, 'reset_password', token);
  const user = hit ? await store.findUser(hit.link.userId) : undefined;
  if (!hit || !user) return { outcome: 'unusable' };
  const { hash } = hit;
  const account = await store.findAccount(user.accountId);
  const problem = passwordProblem(password, { email: user.email, accountName: account?.name ?? '' });
  if (problem) return { outcome: 'invalid', message: problem };
  const passwordHash = await hashPassword(password);
  // Sessions end before the password changes: a crash in between leaves the user signed out, never
  // with a new password and old sessions.
  await endSessions(user.id);
  const notice = await passwordNotice(mail, user, 'reset', origin);
  const changed = await store.useUserToken(hash, 'reset_password', { passwordHash }, {
    mails: [notice], events: [userEvent(user, 'user.password_reset', origin)],
  });
  if (!changed) return { outcome: 'unusable' };
  mail.mailer.written();
  return { outcome: 'done', user: changed };
}

/** Changes the password of a signed-in user, who gives the current one; ValidationError on a field otherwise. */
export async function changePassword(
  store: Store, mail: AccountMail, user: User, current: string, next: string, origin: RequestOrigin,
): Promise<User> {
  if (!await verifyPassword(user.passwordHash, current)) throw new ValidationError('current_password', 'the current password is not right');
  const account = await store.findAccount(user.accountId);
  const problem = passwordProblem(next, { email: user.email, accountName: account?.name ?? '' });
  if (problem) throw new ValidationError('new_password', problem);
  const changed = await store.updateUser(user.id, { passwordHash: await hashPassword(next) }, {
    mails: [await passwordNotice(mail, user, 'changed', origin)], events: [userEvent(user, 'user.password_changed', origin)],
  });
  if (!changed) throw new ValidationError('current_password', 'this user no longer exists');
  mail.mailer.written();
  return changed;
}

function passwordNotice(mail: AccountMail, user: User, how: 'reset' | 'changed', origin: RequestOrigin) {
  return mail.mailer.compose('password_changed', user.email, {
    email: user.email, how: how === 'reset' ? 'reset with a mailed link' : 'changed in the portal', at: new Date().toUTCString(),
    address: origin.address, userAgent: origin.userAgent,
    sessions: how === 'reset' ? 'Every session was signed out.' : 'Every other session was signed out.',
  });
}
