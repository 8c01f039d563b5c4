// Claims every access token carries so a resource server knows whose data, and which data set,
// the token reaches: `account_id` (the customer organisation) and `env` (test or live); a token a
// user delegated also names its grant (`grant_id`), so that what it creates can die with the grant.
// Everything comes from what the request already loaded (the client's metadata, the account found
// for the user): no store read per token.
import type { KoaContextWithOIDC } from 'oidc-provider';

interface TokenLike {
  kind: string;
  grantId?: string;
}

/** The account oidc-provider found for the user (see findAccount in server/oidc/configuration.ts). */
export interface LatchkeyAccount {
  accountId: string;
  /** The customer organisation the user belongs to. */
  organisation: string;
}

export function accessTokenClaims(ctx: KoaContextWithOIDC | undefined, token: TokenLike): Record<string, string> | undefined {
  const client = ctx?.oidc.client;
  if (!client) return undefined;
  const env = client['urn:latchkey:environment'] as string;
  if (token.kind === 'ClientCredentials') {
    return { account_id: client['urn:latchkey:account_id'] as string, env };
  }
  // Authorization code and refresh: the organisation of the user who consented, in the client's environment.
  const account = ctx.oidc.account as unknown as Partial<LatchkeyAccount> | undefined;
  if (!account?.organisation || !token.grantId) return undefined;
  return { account_id: account.organisation, env, grant_id: token.grantId };
}
