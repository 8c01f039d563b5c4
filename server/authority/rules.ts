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
import type { Environment } from '../../adapters/contract.ts';

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
}

export type Resource = 'api_keys' | 'clients' | 'webhooks' | 'audit';
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
  | { readonly code: 'forbidden'; readonly missing: readonly string[] };

/** Undefined when allowed; else why not. */
export function decide(actor: Actor, action: Action, target?: Target): Refusal | undefined {
  if (actor.kind === 'operator') return undefined;
  if (target && (target.accountId !== actor.accountId || !actor.environments.includes(target.environment))) return { code: 'not_found' };
  if (actor.unverified && action.verb === 'write' && target?.environment === 'live') return { code: 'email_unverified' };
  if (actor.scopes === 'all') return undefined;
  const scope = ACTION_SCOPES[action.resource][action.verb];
  if (!actor.scopes.has(scope)) return { code: 'insufficient_scope', scope };
  if (!target) return undefined;
  const held = actor.scopes;
  const missing = target.scopes.filter((s) => !held.has(s));
  return missing.length > 0 ? { code: 'forbidden', missing } : undefined;
}
