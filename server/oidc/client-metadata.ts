// Maps a stored client to the metadata oidc-provider understands.
import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord } from '../../adapters/contract.ts';
import { isLive } from '../clients/secret-rotation.ts';
import { isDeviceRedirect } from '../clients/input.ts';
import { isRegisteredOpenly } from '../../config/registration.ts';
import { isUserFacing } from '../../config/scopes.ts';

/** A client_secret no HMAC (base64url of 32 bytes) can equal. */
export const NO_LIVE_SECRET = 'none';

/** One secret compareClientSecret accepts: its HMAC and, while it overlaps a newer one, its end (epoch seconds). */
export interface LiveSecret {
  /** The secret's id (`cs_…`): its last use is recorded under it. */
  readonly id: string;
  readonly hash: string;
  readonly expires_at: number | null;
}

export const SECRETS_PROPERTY = 'urn:latchkey:secrets';
/**
 * Set on an app nobody registered in the portal: `registration` (open dynamic registration) or
 * `metadata_document`. Such an app is unverified until the operator verifies it (server/oidc/tier.ts).
 */
export const AGENT_PROPERTY = 'urn:latchkey:agent';

/**
 * The client's live secrets, newest first. Revoked ones are left out; an overlapping one carries its
 * end, checked at each comparison. Any change (rotation, revocation) goes through updateClient,
 * which drops the adapter's cache of client rows (server/cache/clients.ts: at once on this instance,
 * within the change signal's bound on others); oidc-provider keys its own cache of Client objects by
 * a hash of the metadata, so the changed metadata makes a new Client.
 */
function liveSecrets(client: ClientRecord, now: Date): LiveSecret[] {
  return client.secrets.filter((s) => isLive(s, now))
    .map((s) => ({ id: s.id, hash: s.hash, expires_at: s.expiresAt ? Math.floor(s.expiresAt.getTime() / 1000) : null }));
}

export const GRANT_TYPES = {
  service: ['client_credentials'],
  web: ['authorization_code', 'refresh_token'],
  public: ['authorization_code', 'refresh_token'],
  // A resource server gets no tokens: it only introspects the credentials sent to its resource.
  resource_server: [],
} as const;

export function clientMetadata(client: ClientRecord, now = new Date()): ClientMetadata {
  const web = isUserFacing(client.type);
  return {
    // oidc-provider lets a loopback redirect URI's port vary only for a native app: a public client
    // whose redirect URIs all stay on the device is one, whatever it was registered as.
    ...(client.type === 'public' && client.redirectUris.every(isDeviceRedirect) ? { application_type: 'native' } : {}),
    client_id: client.id,
    client_name: client.name,
    // The HMAC of the secret: compareClientSecret hashes what the client presents (server/oidc/harden.ts).
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    // oidc-provider refuses client_secret_basic metadata without a client_secret; when every secret
    // is dead (reported leaked), give it a value no HMAC matches until the owner rotates.
    ...(!client.secretHash && client.authMethod === 'client_secret_basic' ? { client_secret: NO_LIVE_SECRET } : {}),
    ...(client.jwks ? { jwks: client.jwks } : {}),
    token_endpoint_auth_method: client.authMethod,
    grant_types: [...GRANT_TYPES[client.type]],
    response_types: web ? ['code'] : [],
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    'urn:latchkey:account_id': client.accountId,
    'urn:latchkey:environment': client.environment,
    'urn:latchkey:allowed_scopes': client.scopes.join(' '),
    [SECRETS_PROPERTY]: liveSecrets(client, now),
    ...(isRegisteredOpenly(client) ? { [AGENT_PROPERTY]: 'registration' } : {}),
  };
}
