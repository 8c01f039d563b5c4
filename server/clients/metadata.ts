// Maps a stored client to the metadata oidc-provider understands.
import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord } from '../../adapters/contract.ts';

export const GRANT_TYPES = {
  service: ['client_credentials'],
  web: ['authorization_code', 'refresh_token'],
} as const;

export function clientMetadata(client: ClientRecord): ClientMetadata {
  const web = client.type === 'web';
  return {
    client_id: client.id,
    client_name: client.name,
    // The HMAC of the secret: compareClientSecret hashes what the client presents (server/oidc/harden.ts).
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    ...(client.jwks ? { jwks: client.jwks } : {}),
    token_endpoint_auth_method: client.authMethod,
    grant_types: [...GRANT_TYPES[client.type]],
    response_types: web ? ['code'] : [],
    redirect_uris: [...client.redirectUris],
    'urn:latchkey:account_id': client.accountId,
    'urn:latchkey:environment': client.environment,
    'urn:latchkey:allowed_scopes': client.scopes.join(' '),
  };
}
