// Whoever a resource request acts for, whether it came with an API key or an OAuth access token.
import type { Environment } from '../../adapters/contract.ts';

export type Credential =
  | { readonly kind: 'api_key'; readonly id: string }
  | {
    readonly kind: 'access_token';
    readonly clientId: string;
    readonly subject: string;
    readonly tokenId: string;
    /** The grant a user-delegated token (authorization code, refresh) came from; none for client credentials. */
    readonly grantId: string | undefined;
  };

export interface Principal {
  readonly accountId: string;
  readonly environment: Environment;
  readonly scopes: ReadonlySet<string>;
  readonly credential: Credential;
}

/** The actor recorded in audit events. */
export function actorOf(principal: Principal): string {
  const { credential } = principal;
  if (credential.kind === 'api_key') return `api_key:${credential.id}`;
  // A user-delegated token acts for the user through the client: name both.
  return credential.subject === credential.clientId ? `client:${credential.clientId}` : `user:${credential.subject} via client:${credential.clientId}`;
}
