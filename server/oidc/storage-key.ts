// The key a record of oidc-provider's is stored under: a digest of its id (a token's value is its
// id, and no token is kept in plaintext), except a Grant's, whose id is no secret and is looked up
// as it is.
import { hash } from 'node:crypto';

export const READABLE_IDS: ReadonlySet<string> = new Set(['Grant']);

/** The key a record is stored under. */
export function storageKey(model: string, id: string): string {
  return READABLE_IDS.has(model) ? id : hash('sha256', id, 'base64url');
}
