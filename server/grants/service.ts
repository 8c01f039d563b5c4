// Connected apps: the grants a user gave, and disconnecting one (through the store's one
// revocation path, so its refresh tokens die at once and say why).
import type { OidcPayload, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { parseScopeList } from '../../config/scopes.ts';

export interface ConnectedApp {
  readonly grantId: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly since: Date;
}

/** Every scope the grant holds: the OpenID ones and each resource's. */
function grantedScopes(grant: OidcPayload): string[] {
  const openid = (grant.openid as { scope?: string } | undefined)?.scope;
  const resources = Object.values((grant.resources as Record<string, string> | undefined) ?? {});
  return [...new Set([openid, ...resources].flatMap((scope) => parseScopeList(scope)))];
}

export async function connectedApps(store: Store, userId: string): Promise<ConnectedApp[]> {
  const grants = await store.oidc.listGrants(userId);
  return Promise.all(grants.map(async (grant) => {
    const clientId = String(grant.clientId);
    return {
      grantId: String(grant.jti),
      clientId,
      clientName: (await store.findClient(clientId))?.name ?? clientId,
      scopes: grantedScopes(grant),
      since: new Date(Number(grant.iat) * 1000),
    };
  }));
}

/** Revokes the user's grant; another user's grant, or none, is not_found. */
export async function disconnectApp(store: Store, userId: string, grantId: string): Promise<void> {
  const grant = await store.oidc.find('Grant', grantId);
  if (!grant || grant.accountId !== userId) throw new LatchkeyError('not_found', 'no such connected app');
  await store.oidc.revokeByGrantId(grantId, { reason: 'revoked_by_user', actor: `user:${userId}`, at: new Date() });
}
