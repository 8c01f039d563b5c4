// The roles a member of an account holds, one each: the one list the authority rule, the portal,
// the API's schemas, the CLI and docs/teams.md read.
export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleDefinition {
  /** What the role may do, in one line for people (the team page, docs/teams.md). */
  readonly summary: string;
}

export const ROLE_DEFINITIONS: Readonly<Record<Role, RoleDefinition>> = {
  owner: { summary: 'Everything, including adding, changing and removing owners. An account always keeps at least one.' },
  admin: { summary: 'Everything except making, changing or removing owners: members, policies, keys, apps and webhooks.' },
  developer: { summary: 'Test and live API keys, apps and webhooks; reads the members and the audit log, but manages no members.' },
  viewer: { summary: 'Reads everything except secrets: never sees, creates or rotates a key or secret, and changes nothing.' },
};

/** Roles that manage members and the account's policies. */
export const MANAGING_ROLES: readonly Role[] = ['owner', 'admin'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
