// Self-serve sign-up: an account (organisation) and its owner, from one form, rate limited like
// sign-in. Each attempt is admitted by the sign-in limits (per email and address, per address, per
// email) and a failed one counts as a failed sign-in would; besides, the accounts one address
// creates are counted (LIMITS.loginSourceMaxFailures per sign-in window), so a script cannot
// create accounts without end.
// An email already registered is said so, on the field: a sign-up form cannot hide it (the account
// would have to be created, or the user told to sign in) without sending mail, which Latchkey does
// not. The limits bound how fast anyone can test emails this way, as they bound sign-in guesses.
import type { CounterStore, Store, User } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey, secondsUntil } from '../limits/failures.ts';
import { generateSortableId } from '../secrets.ts';
import { ValidationError } from '../../config/errors.ts';
import { createAccountWithUser, EmailTakenError, waitInWords } from './service.ts';
import type { SignInLimits } from './sign-in-limits.ts';

export type SignUp =
  | { readonly outcome: 'ok'; readonly user: User }
  /** A field is wrong: its name and what is wrong, as the validator said it. */
  | { readonly outcome: 'invalid'; readonly field: string; readonly message: string; readonly taken: boolean }
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
  store: Store, limits: SignInLimits, input: SignUpInput, address: string, windowSeconds: number,
): Promise<SignUp> {
  const creations = limitKey('sign-up:source', addressKey(address));
  const wait = await creationsRefused(store, creations);
  if (wait) return limited(wait);
  const admission = await limits.admit(input.email, address);
  if (!admission.allowed) return limited(admission.retryAfter);
  let created: { userId: string };
  try {
    created = await createAccountWithUser(store, { name: input.name, email: input.email.trim(), password: input.password });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await limits.failed(admission.reservation);
    return { outcome: 'invalid', field: err.field, message: err.message, taken: err instanceof EmailTakenError };
  }
  await Promise.all([limits.succeeded(admission.reservation), store.hitCounter(creations, windowSeconds)]);
  const user = await store.findUser(created.userId);
  if (!user) throw new Error('the new user was not found');
  // The first line of the account's audit trail.
  await store.recordAuditEvent({
    id: generateSortableId('evt'), accountId: user.accountId, actor: `user:${user.id}`, action: 'account.created',
    targetId: user.accountId, reason: 'signed up in the portal', at: new Date(), detail: { name: input.name.trim() },
  });
  return { outcome: 'ok', user };
}
