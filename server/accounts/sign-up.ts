// Self-serve sign-up: an account (organisation) and its owner, from one form, rate limited like
// sign-in. Each attempt is admitted by the sign-in limits (per email and address, per address, per
// email); besides, the accounts one address creates are counted (LIMITS.loginSourceMaxFailures per
// sign-in window), so a script cannot create accounts without end.
// Every address gets the same answer, "check your email": a new one gets a verification link, one
// that already has a user gets a mail saying so (and how to sign in or reset). The form never tells
// whether an address is registered; both paths hash the password, so they take the same time.
import type { CounterStore, Store } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey, secondsUntil } from '../limits/failures.ts';
import { generateSortableId } from '../secrets.ts';
import { ValidationError } from '../../config/errors.ts';
import { createAccountWithUser, EmailTakenError, waitInWords } from './service.ts';
import type { SignInLimits } from './sign-in-limits.ts';
import { verificationAlong, type AccountMail } from './verification.ts';

export type SignUp =
  /** A mail is on its way to the address (a link, or "you already have an account"). */
  | { readonly outcome: 'sent'; readonly email: string }
  /** A field is wrong: its name and what is wrong, as the validator said it. */
  | { readonly outcome: 'invalid'; readonly field: string; readonly message: string }
  | { readonly outcome: 'limited'; readonly message: string; readonly retryAfter: number };

export interface SignUpInput {
  readonly name: string;
  readonly email: string;
  readonly password: string;
}

const limited = (retryAfter: number): SignUp => ({
  outcome: 'limited', retryAfter, message: `Too many attempts from your network. Try again in ${waitInWords(retryAfter)}.`,
});

/** The accounts created from this address in the open window; undefined while there is room. */
async function creationsRefused(counters: Pick<CounterStore, 'readCounter'>, key: string): Promise<number | undefined> {
  const created = await counters.readCounter(key);
  return created && created.count >= LIMITS.loginSourceMaxFailures ? secondsUntil(created.resetAt.getTime()) : undefined;
}

export async function signUp(
  store: Store, limits: SignInLimits, mail: AccountMail, input: SignUpInput, address: string, windowSeconds: number,
): Promise<SignUp> {
  const creations = limitKey('sign-up:source', addressKey(address));
  const wait = await creationsRefused(store, creations);
  if (wait) return limited(wait);
  const admission = await limits.admit(input.email, address);
  if (!admission.allowed) return limited(admission.retryAfter);
  try {
    await createAccountWithUser(store, { name: input.name, email: input.email.trim(), password: input.password },
      async ({ accountId, userId, email, name }) => {
        const verification = await verificationAlong(mail, userId, email);
        return {
          ...verification,
          // The first line of the account's audit trail.
          events: [{
            id: generateSortableId('evt'), accountId, actor: `user:${userId}`, action: 'account.created',
            targetId: accountId, reason: 'signed up in the portal', at: new Date(), detail: { name },
          }],
        };
      });
  } catch (err) {
    if (err instanceof EmailTakenError) return alreadyRegistered(store, limits, mail, admission.reservation, input.email);
    if (!(err instanceof ValidationError)) throw err;
    await limits.failed(admission.reservation);
    return { outcome: 'invalid', field: err.field, message: err.message };
  }
  await Promise.all([limits.succeeded(admission.reservation), store.hitCounter(creations, windowSeconds)]);
  mail.mailer.written();
  return { outcome: 'sent', email: input.email.trim() };
}

/** The address has a user: it is told so by mail; the form answers as for a new address. */
async function alreadyRegistered(
  store: Store, limits: SignInLimits, mail: AccountMail, reservation: Parameters<SignInLimits['failed']>[0], email: string,
): Promise<SignUp> {
  const user = await store.findUserByEmail(email.trim());
  // Counted as a failed sign-in would be: probing addresses this way is bounded like guessing passwords.
  await limits.failed(reservation);
  if (user) {
    await store.writeAlong({ mails: [await mail.mailer.compose('already_registered', user.email, { email: user.email })] });
    mail.mailer.written();
  }
  return { outcome: 'sent', email: email.trim() };
}
