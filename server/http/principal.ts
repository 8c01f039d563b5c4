// Whoever a resource request acts for, whether it came with an API key or an OAuth access token.
// The shape is the guard library's (packages/guard/principal.ts); in-process we also keep the
// access token's id under `tokenId`, the name the rest of the server uses.
import type { AccessTokenCredential, ApiKeyCredential, Principal as GuardPrincipal } from '../../packages/guard/principal.ts';

export type Credential = ApiKeyCredential | (AccessTokenCredential & { readonly tokenId: string });

export interface Principal extends GuardPrincipal {
  readonly credential: Credential;
}

/** The actor recorded in audit events. */
export function actorOf(principal: Principal): string {
  const { credential } = principal;
  if (credential.kind === 'api_key') return `api_key:${credential.id}`;
  // A user-delegated token acts for the user through the client: name both.
  return credential.subject === credential.clientId ? `client:${credential.clientId}` : `user:${credential.subject} via client:${credential.clientId}`;
}
