// Confirming that an email address is the user's: a link mailed at sign-up (and on request), single
// use, valid LIFETIMES.emailVerificationLink. Until it is used the account may use test credentials
// only (server/authority/rules.ts, rule 5). Using it sets emailVerifiedAt, with an audit event.
import { DuplicateError, type AccountsAlong, type Store, type User } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { limitKey } from '../limits/failures.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Pepper } from '../secrets.ts';
import { userEvent, type RequestOrigin } from './account-events.ts';
import { findLink, newLink } from './links.ts';

/** What sending account mail needs. */
export interface AccountMail {
  readonly mailer: Mailer;
  readonly pepper: Pepper;
}

export type { RequestOrigin };

/** The link and its mail, to write with the change that needs them (a sign-up, a resend). */
export async function verificationAlong(mail: AccountMail, userId: string, email: string): Promise<AccountsAlong> {
  const link = newLink(mail.pepper, 'verify_email', userId, email);
  const message = await mail.mailer.compose('verify_email', email, { email, link: mail.mailer.link('/portal/verify', { link: link.token }) });
  return { tokens: [link.record], mails: [message] };
}

/** Sends a new link, at most LIMITS.verificationMailsPerHour an hour; false when that is spent. */
export async function resendVerification(store: Store, mail: AccountMail, user: User): Promise<boolean> {
  if (user.emailVerifiedAt) return true;
  const sent = await store.hitCounter(limitKey('verify-mail:user', user.id), 3600);
  if (sent.count > LIMITS.verificationMailsPerHour) return false;
  await store.writeAlong(await verificationAlong(mail, user.id, user.email));
  mail.mailer.written();
  return true;
}

/** The address a presented link would confirm, while it is unused and unexpired. */
export async function pendingVerification(store: Store, pepper: Pepper, token: string | undefined): Promise<string | undefined> {
  return (await findLink(store, pepper, 'verify_email', token))?.link.email;
}

/** Uses the link: the user's address (the one the link was mailed to) is confirmed. Undefined when the link is no good. */
export async function confirmEmail(store: Store, mail: AccountMail, token: string | undefined, origin: RequestOrigin): Promise<User | undefined> {
  const hit = await findLink(store, mail.pepper, 'verify_email', token);
  if (!hit) return undefined;
  const { hash, link: found } = hit;
  const user = await store.findUser(found.userId);
  if (!user) return undefined;
  const at = new Date();
  const changed = found.email !== user.email;
  const detail: Record<string, string> = changed ? { email: found.email, previous_email: user.email } : { email: found.email };
  try {
    return await store.useUserToken(hash, 'verify_email', { email: found.email, emailVerifiedAt: at }, {
      // A new address: the old one is told, and the change is audited as such.
      mails: changed ? [await mail.mailer.compose('email_changed', user.email, { email: user.email, newEmail: found.email, at: at.toUTCString() })] : [],
      events: [userEvent(user, changed ? 'user.email_changed' : 'user.email_verified', origin, detail)],
    });
  } catch (err) {
    // The new address was taken by another user since the link was sent: the link cannot be used.
    if (err instanceof DuplicateError) return undefined;
    throw err;
  } finally {
    if (changed) mail.mailer.written();
  }
}
