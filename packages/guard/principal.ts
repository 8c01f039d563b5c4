// Whoever a resource request acts for, whether it came with an API key or an OAuth access token.
// One shape for the built-in Partner API (server/guard) and for an operator's resource servers.

export type Environment = 'test' | 'live';

export interface ApiKeyCredential {
  readonly kind: 'api_key';
  /** The key's id (never the key). */
  readonly id: string;
}

export interface AccessTokenCredential {
  readonly kind: 'access_token';
  /** The token's `jti`. */
  readonly id: string;
  readonly clientId: string;
  /** `sub`: the user for a delegated token, the client itself for client credentials. */
  readonly subject: string;
  /** The grant a user-delegated token (authorization code, refresh) came from; none for client credentials. */
  readonly grantId: string | undefined;
}

export type Credential = ApiKeyCredential | AccessTokenCredential;

export interface Principal {
  readonly accountId: string;
  readonly environment: Environment;
  readonly scopes: ReadonlySet<string>;
  readonly credential: Credential;
}

/** Splits a space-separated scope string, dropping empty parts and duplicates. */
export function scopeSet(value: unknown): Set<string> {
  return new Set((typeof value === 'string' ? value : '').split(' ').filter(Boolean));
}
