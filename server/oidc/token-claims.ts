// Claims every access token carries so a resource server knows whose data, and which data set,
// the token reaches: `account_id` (the customer organisation) and `env` (test or live).
import type { Store } from '../../adapters/contract.ts';

interface TokenLike {
  kind: string;
  clientId?: string;
  accountId?: string;
}

export async function accessTokenClaims(store: Store, token: TokenLike): Promise<Record<string, string> | undefined> {
  if (!token.clientId) return undefined;
  const client = await store.findClient(token.clientId);
  if (!client) return undefined;
  if (token.kind === 'ClientCredentials') {
    return { account_id: client.accountId, env: client.environment };
  }
  // Authorization code and refresh: the account of the user who consented, in the client's environment.
  const user = token.accountId ? await store.findUser(token.accountId) : undefined;
  return user ? { account_id: user.accountId, env: client.environment } : undefined;
}
