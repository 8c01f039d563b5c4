// Asking the rule (rules.ts) from a route: a refusal becomes our documented error, and the targets a
// route acts on are described the same way everywhere (a key and a client by the scopes they hold).
import type { Context, Next } from 'koa';
import type { ApiKeyRecord, ClientRecord } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { OPENID_SCOPE_NAMES } from '../../config/scopes.ts';
import { insufficientScope, insufficientScopes } from '../../packages/guard/challenges.ts';
import type { GuardError } from '../../packages/guard/errors.ts';
import { MANAGING_ROLES } from '../../config/roles.ts';
import { managerOf } from './identify.ts';
import { requireFreshSignIn, type FreshnessOf } from './step-up.ts';
import { decide, decideAgents, decideMembership, type Action, type Actor, type MembershipChange, type Refusal, type Target } from './rules.ts';

const NAMES: Record<Action['resource'], string> = { api_keys: 'API key', clients: 'client', webhooks: 'webhook', audit: 'audit log', members: 'member' };

const ROLE_WORDS: Record<Extract<Refusal, { code: 'role_forbidden' }>['why'], (role: string, thing: string) => string> = {
  role: (role, thing) => `your role (${role}) may not change this ${thing}: ask an owner or admin of the account`,
  live_admins_only: (role, thing) => `the account keeps live credentials to owners and admins, and your role is ${role}: `
    + `ask one of them to change this live ${thing}, or use the test environment`,
  owners_only: (role) => `only an owner may make, change or remove an owner, and your role is ${role}`,
};

function refusalError(refusal: Refusal, action: Action, issuer: string, notFound?: () => GuardError): GuardError {
  switch (refusal.code) {
    case 'not_found': return notFound?.() ?? new LatchkeyError('not_found', `no such ${NAMES[action.resource]}`);
    case 'email_unverified': return new LatchkeyError('email_unverified',
      `confirm your email address before creating or changing a live ${NAMES[action.resource]}: open the link we mailed you, `
      + 'or send it again from the portal; test credentials work meanwhile');
    case 'insufficient_scope': return insufficientScope(refusal.scope, issuer);
    // A scope exceeded answers as a scope missing: one body (packages/guard/challenges.ts).
    case 'forbidden': return insufficientScopes(refusal.missing, issuer,
      `this credential does not hold ${refusal.missing.join(', ')}, which this ${NAMES[action.resource]} holds: `
      + 'a credential acts only on what holds no more than it does (or use a portal session of the account)');
    case 'role_forbidden': return new LatchkeyError('forbidden', ROLE_WORDS[refusal.why](refusal.role, NAMES[action.resource]),
      { details: { role: refusal.role } });
    case 'session_required': return new LatchkeyError('forbidden',
      'members are managed by a signed-in owner or admin (the portal, or /v1 with a portal session): no credential may give a person access');
  }
}

/**
 * Throws unless `actor` may perform `action` (on `target`, when given). `notFound`: the words of the
 * target's own not_found (a target of another account or environment does not exist for the actor).
 */
export function authorize(actor: Actor, action: Action, issuer: string, target?: Target, notFound?: () => GuardError): void {
  const refusal = decide(actor, action, target);
  if (refusal) throw refusalError(refusal, action, issuer, notFound);
}

/** Throws unless `actor` may create a `resource` in `environment` of its own account (what is created is the target). */
export function authorizeCreation(actor: Actor, resource: Action['resource'], environment: Target['environment'], issuer: string): void {
  if (actor.kind === 'operator') return;
  authorize(actor, { resource, verb: 'write' }, issuer, { accountId: actor.accountId ?? '', environment, scopes: [] });
}

/** Whether `actor` may perform `action` on `target`: what a list shows. */
export function reaches(actor: Actor, action: Action, target: Target): boolean {
  return decide(actor, action, target) === undefined;
}

/** Route middleware: the request's manager may perform `action` at all (before any target is read). */
export function allow(action: Action, issuer: string) {
  return async function managerMayAct(ctx: Context, next: Next) {
    authorize(managerOf(ctx), action, issuer);
    await next();
  };
}

/** openid and offline_access open no API: holding them is no privilege over a target. */
const privileges = (scopes: readonly string[]) => scopes.filter((scope) => !OPENID_SCOPE_NAMES.includes(scope));

export const keyTarget = (key: ApiKeyRecord): Target => ({ accountId: key.accountId, environment: key.environment, scopes: privileges(key.scopes) });
export const clientTarget = (client: ClientRecord): Target => ({
  accountId: client.accountId, environment: client.environment, scopes: privileges(client.scopes),
});

/**
 * Throws unless `actor` may make this change to the account's members (rule 7); a change that
 * concerns an owner or admin also needs a recent sign-in (step-up.ts), wherever it is asked.
 */
export function authorizeMembership(actor: Actor & FreshnessOf, change: MembershipChange, issuer: string): void {
  const refusal = decideMembership(actor, change);
  if (refusal) throw refusalError(refusal, { resource: 'members', verb: 'write' }, issuer);
  if ([change.from, change.to].some((role) => role && MANAGING_ROLES.includes(role))) requireFreshSignIn(actor, 'members.privileged');
}

/** Throws unless `actor` may see and change the agents (rule 8); to anyone else they do not exist. */
export function authorizeAgents(actor: Actor, operatorAccountId: string): void {
  const refusal = decideAgents(actor, operatorAccountId);
  if (!refusal) return;
  if (refusal.code === 'not_found') throw new LatchkeyError('not_found', 'no such page');
  throw new LatchkeyError('forbidden', 'apps nobody registered are the operator\'s: the latchkey CLI, or a signed-in owner or admin of the operator account, verifies them and blocks hosts');
}
