// OAuth 2.0 Protected Resource Metadata (RFC 9728): where a client that was refused (401) learns
// which authorization server to ask, and for which scopes. The document's URL is derived from the
// resource identifier (section 3.1): the well-known suffix goes between the host and the path, so
// `https://api.example.com/orders` publishes at
// `https://api.example.com/.well-known/oauth-protected-resource/orders`. Every 401 and 403 challenge
// names it in `resource_metadata` (section 5.1).

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The document's URL for a resource identifier (absolute, no query or fragment). */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${WELL_KNOWN}${path}`;
}

/** The path (on the resource's origin) the document is served at. */
export function resourceMetadataPath(resource: string): string {
  return new URL(resourceMetadataUrl(resource)).pathname;
}

export interface ResourceMetadataInput {
  readonly resource: string;
  /** The authorization server's issuer. */
  readonly issuer: string;
  readonly scopes: readonly string[];
  /** For people: shown by clients that show it. */
  readonly name?: string;
  /** Where a developer reads about the API's scopes. */
  readonly documentation?: string;
}

export function protectedResourceMetadata(input: ResourceMetadataInput): Record<string, unknown> {
  return {
    resource: input.resource,
    authorization_servers: [input.issuer],
    scopes_supported: [...input.scopes],
    bearer_methods_supported: ['header'],
    ...(input.name ? { resource_name: input.name } : {}),
    ...(input.documentation ? { resource_documentation: input.documentation } : {}),
  };
}

/** A Bearer challenge with `resource_metadata` added (once); any other header value unchanged. */
export function withResourceMetadata(challenge: string, metadataUrl: string): string {
  if (!/^Bearer\b/i.test(challenge) || /\bresource_metadata=/.test(challenge)) return challenge;
  return `${challenge}, resource_metadata="${metadataUrl.replace(/["\\]/g, '')}"`;
}
