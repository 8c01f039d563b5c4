// The Partner API's resource indicator (RFC 8707), which is also its JWT `aud`.

export function apiResource(issuer: string): string {
  return `${issuer}/api`;
}

/** error_description for a `resource` we do not serve; the value sent is not echoed (RFC 6749 5.2). */
export function unknownResource(resource: string): string {
  return `unknown resource; the Partner API is ${resource}`;
}
