// A user's own account events for the account's audit log (issue 22, item 8): sign-ins, failed
// sign-ins, resets, password, email and two-factor changes, each with the address and user agent it
// came from. Failed sign-ins are recorded at a bounded rate: someone guessing at an address from
// many networks must not be able to bury the log (LIMITS.failedSignInEventsPerHour per user).
import type { Context } from 'koa';
import type { AuditEvent, Store, User } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { limitKey } from '../limits/failures.ts';
import { generateSortableId } from '../secrets.ts';

/** What recording needs of the store. */
export type AuditStore = Pick<Store, 'recordAuditEvent' | 'hitCounter'>;

/** Where a change came from, for its audit event and notices. */
export interface RequestOrigin {
  readonly address: string;
  readonly userAgent: string;
}

const HOUR = 3600;

/** Where a request came from: the address and the user agent (cut to 200 characters). */
export function originOf(ctx: Context): RequestOrigin {
  return { address: ctx.ip, userAgent: (ctx.get('user-agent') || 'an unknown browser').slice(0, 200) };
}

/** An event the user caused on their own account. */
export function userEvent(user: Pick<User, 'id' | 'accountId'>, action: string, origin: RequestOrigin, detail: Record<string, string> = {}): AuditEvent {
  return {
    id: generateSortableId('evt'), accountId: user.accountId, actor: `user:${user.id}`, action, targetId: user.id, reason: undefined,
    at: new Date(), detail: { ...detail, address: origin.address, user_agent: origin.userAgent },
  };
}

/** A completed sign-in (after the second factor, when there is one), with how: `pwd`, `pwd otp`. */
export async function recordSignIn(store: AuditStore, user: User, origin: RequestOrigin, amr: readonly string[]): Promise<void> {
  await store.recordAuditEvent(userEvent(user, 'user.signed_in', origin, { method: amr.join(' ') }));
}

/**
 * A wrong password or code for a known user, recorded while the user's hourly budget lasts; the
 * last one recorded says that more are not. Unknown addresses have no account to record to.
 */
export async function recordFailedSignIn(
  store: AuditStore, user: User, origin: RequestOrigin, why: 'password' | 'code',
): Promise<void> {
  const { count } = await store.hitCounter(limitKey('audit:sign-in-failed', user.id), HOUR);
  if (count > LIMITS.failedSignInEventsPerHour) return;
  const last = count === LIMITS.failedSignInEventsPerHour;
  await store.recordAuditEvent(userEvent(user, 'user.sign_in_failed', origin, {
    why: why === 'password' ? 'wrong password' : 'wrong code', ...(last ? { note: 'further failures this hour are not recorded' } : {}),
  }));
}
