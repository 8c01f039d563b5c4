// The one rule of the management plane: may this actor perform this action on this target? Pure,
// so a table-driven test covers it (test/authority/rules.test.ts); every management route, portal
// action and CLI command asks it through server/authority/authorize.ts.
//
// In order:
// 1. The operator (the CLI) may do everything.
// 2. A target of another account, or of an environment the actor does not manage, does not exist for
//    it (not_found: no hint that it does).
// 3. A credential needs the action's scope (insufficient_scope, naming it). A signed-in user of the
//    account holds every management scope.
// 4. "Never more than it holds", for targets too: a credential acts on a key, client or webhook only
//    when every scope the target holds (or reveals) is one of its own (forbidden, naming the rest).
//    Any action on a client counts as acting with every scope it holds. A signed-in user keeps full
//    choice.
// 5. A user whose email address is not confirmed changes nothing live (email_unverified): test only.
// 6. A member acts within their role (config/roles.ts), in the portal and through an app they
//    authorised alike (role_forbidden): a viewer reads, a developer manages credentials but not
//    members. With the account's "live credentials for admins" policy, only owners and admins change
//    anything live.
// 7. Members are managed by a signed-in owner or admin only (session_required for a credential, which
//    must never give a person more than it holds); making, changing or removing an owner is for
//    owners (decideMembership).
// 8. Apps nobody registered in the portal (agents: open registrations, metadata documents) are the
//    operator's: seen, verified and blocked by the operator (the CLI) and by a signed-in owner or
//    admin of the operator account, never through a credential (decideAgents).
import type { Environment } from '../../adapters/contract.ts';
import { MANAGING_ROLES, type Role } from '../../config/roles.ts';

export type ActorKind = 'user' | 'api_key' | 'client' | 'delegated' | 'operator';

/** Whoever acts, however they came: a portal session, an API key, an access token, or the CLI. */
export interface Actor {
  readonly kind: ActorKind;
  /** Undefined for the operator, who acts on any account. */
  readonly accountId: string | undefined;
  readonly environments: readonly Environment[];
  /** The credential's scopes; a user and the operator hold every management scope. */
  readonly scopes: ReadonlySet<string> | 'all';
  /** How audit events name it: user:<id>, api_key:<id>, client:<id>, user:<id> via client:<id>, operator. */
  readonly name: string;
  readonly userId?: string | undefined;
  readonly credentialId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly grantId?: string | undefined;
  /** A signed-in user whose email address is not confirmed yet: test credentials only (rule 5). */
  readonly unverified?: boolean;
  /** The member's role, for a signed-in user and a user's token through an app (rule 6). */
  readonly role?: Role;
  /** The account keeps live-credential changes to owners and admins (rule 6). */
  readonly liveAdminsOnly?: boolean;
}

export type Resource = 'api_keys' | 'clients' | 'webhooks' | 'audit' | 'members';
export type Verb = 'read' | 'write';
export interface Action {
  readonly resource: Resource;
  readonly verb: Verb;
}

/** The scope a credential needs for each action. */
export const ACTION_SCOPES: Readonly<Record<Resource, Readonly<Record<Verb, string>>>> = {
  api_keys: { read: 'read:api_keys', write: 'write:api_keys' },
  clients: { read: 'read:clients', write: 'write:clients' },
  webhooks: { read: 'write:webhooks', write: 'write:webhooks' },
  audit: { read: 'read:audit', write: 'read:audit' },
  // No credential changes members (rule 7): only read:members exists.
  members: { read: 'read:members', write: 'read:members' },
};

const READ: readonly Verb[] = ['read'];
const READ_WRITE: readonly Verb[] = ['read', 'write'];

/** What each role may do to each resource (rule 6); members' changes also pass decideMembership. */
export const ROLE_ALLOWS: Readonly<Record<Role, Readonly<Record<Resource, readonly Verb[]>>>> = {
  owner: { api_keys: READ_WRITE, clients: READ_WRITE, webhooks: READ_WRITE, audit: READ, members: READ_WRITE },
  admin: { api_keys: READ_WRITE, clients: READ_WRITE, webhooks: READ_WRITE, audit: READ, members: READ_WRITE },
  developer: { api_keys: READ_WRITE, clients: READ_WRITE, webhooks: READ_WRITE, audit: READ, members: READ },
  viewer: { api_keys: READ, clients: READ, webhooks: READ, audit: READ, members: READ },
};

/** What is acted on: whose, where, and the scopes it holds or reveals. */
export interface Target {
  readonly accountId: string;
  readonly environment: Environment;
  readonly scopes: readonly string[];
}

export type Refusal =
  | { readonly code: 'not_found' }
  | { readonly code: 'email_unverified' }
  | { readonly code: 'insufficient_scope'; readonly scope: string }
  | { readonly code: 'forbidden'; readonly missing: readonly string[] }
  | { readonly code: 'role_forbidden'; readonly role: Role; readonly why: 'role' | 'live_admins_only' | 'owners_only' }
  | { readonly code: 'session_required' };

/** Rule 6: whether the member's role (and the account's policy) allows the action. */
function roleRefusal(actor: Actor, action: Action, target?: Target): Refusal | undefined {
  if (!actor.role) return undefined;
  if (!ROLE_ALLOWS[actor.role][action.resource].includes(action.verb)) return { code: 'role_forbidden', role: actor.role, why: 'role' };
  const live = action.verb === 'write' && target?.environment === 'live';
  if (live && actor.liveAdminsOnly && !MANAGING_ROLES.includes(actor.role)) return { code: 'role_forbidden', role: actor.role, why: 'live_admins_only' };
  return undefined;
}

/** Undefined when allowed; else why not. */
export function decide(actor: Actor, action: Action, target?: Target): Refusal | undefined {
  if (actor.kind === 'operator') return undefined;
  if (target && (target.accountId !== actor.accountId || !actor.environments.includes(target.environment))) return { code: 'not_found' };
  if (actor.unverified && action.verb === 'write' && target?.environment === 'live') return { code: 'email_unverified' };
  if (action.resource === 'members' && action.verb === 'write' && actor.kind !== 'user') return { code: 'session_required' };
  const byRole = roleRefusal(actor, action, target);
  if (byRole) return byRole;
  if (actor.scopes === 'all') return undefined;
  const scope = ACTION_SCOPES[action.resource][action.verb];
  if (!actor.scopes.has(scope)) return { code: 'insufficient_scope', scope };
  if (!target) return undefined;
  const held = actor.scopes;
  const missing = target.scopes.filter((s) => !held.has(s));
  return missing.length > 0 ? { code: 'forbidden', missing } : undefined;
}

/** A change to the account's members: who is invited, changed or removed, from which role to which. */
export interface MembershipChange {
  readonly accountId: string;
  /** The member's role now (a role change, a removal). */
  readonly from?: Role;
  /** The role given (an invitation, a role change). */
  readonly to?: Role;
}

/** Rule 7: undefined when the actor may make the change; else why not. */
export function decideMembership(actor: Actor, change: MembershipChange): Refusal | undefined {
  if (actor.kind === 'operator') return undefined;
  if (change.accountId !== actor.accountId) return { code: 'not_found' };
  const refused = decide(actor, { resource: 'members', verb: 'write' });
  if (refused) return refused;
  const touchesOwner = change.from === 'owner' || change.to === 'owner';
  if (touchesOwner && actor.role !== 'owner') return { code: 'role_forbidden', role: actor.role ?? 'viewer', why: 'owners_only' };
  return undefined;
}

/** Rule 8: undefined when the actor may see and change the agents (verify an app, block a host); else why not. */
export function decideAgents(actor: Actor, operatorAccountId: string): Refusal | undefined {
  if (actor.kind === 'operator') return undefined;
  if (actor.accountId !== operatorAccountId) return { code: 'not_found' };
  if (actor.kind !== 'user') return { code: 'session_required' };
  if (!actor.role || !MANAGING_ROLES.includes(actor.role)) return { code: 'role_forbidden', role: actor.role ?? 'viewer', why: 'role' };
  return undefined;
}
