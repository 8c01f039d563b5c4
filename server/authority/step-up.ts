// Step-up: the sensitive changes a signed-in user makes need a sign-in at most LIFETIMES.stepUp old,
// and ask for one again otherwise (step_up_required). It holds for portal sessions and for /v1 calls
// made with a portal session; an API key or a token is never stepped up (it has no sign-in to renew,
// and what it may do is bounded by its scopes instead).
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import type { Actor } from './rules.ts';

/** The changes that need a recent sign-in. */
export type SensitiveChange =
  | 'live_key.create' | 'live_key.roll' | 'live_secret.rotate' | 'app.delete'
  | 'account.email' | 'account.password' | 'account.two_factor' | 'members.privileged' | 'account.policy';

const WORDS: Readonly<Record<SensitiveChange, string>> = {
  'live_key.create': 'creating a live API key',
  'live_key.roll': 'rolling a live API key',
  'live_secret.rotate': 'rotating a live client secret',
  'app.delete': 'deleting an app',
  'account.email': 'changing your email address',
  'account.password': 'changing your password',
  'account.two_factor': 'changing two-factor authentication',
  'members.privileged': 'inviting, changing or removing an owner or admin',
  'account.policy': 'changing the account\'s security policy',
};

/** When a user actor last signed in (ms); undefined for every other actor. */
export interface FreshnessOf { readonly signedInAt?: number | undefined }

/** Whether `actor` must sign in again before `change`. */
export function needsStepUp(actor: Actor & FreshnessOf, change: SensitiveChange, now = Date.now()): boolean {
  void change; // every listed change needs the same freshness
  if (actor.kind !== 'user') return false;
  return actor.signedInAt === undefined || now - actor.signedInAt > LIFETIMES.stepUp * 1000;
}

/** Throws step_up_required unless the actor may make `change` now. */
export function requireFreshSignIn(actor: Actor & FreshnessOf, change: SensitiveChange): void {
  if (!needsStepUp(actor, change)) return;
  throw new LatchkeyError('step_up_required',
    `${WORDS[change]} needs a sign-in from the last ${LIFETIMES.stepUp / 60} minutes: sign in again in the portal, then repeat the request`);
}
