// What both stores agree on about a client's lifecycle beyond the contract's types: the id given to a
// secret stored before secrets had ids, what a client's deletion writes on the API keys it made, and
// the revision rule of updateClient.
import type { ClientRecord, ClientSecretRecord } from './contract.ts';

/**
 * The id of the one secret a client registered before schema version 5 holds: stable, derived from
 * the client id (the secret's own value is unknown, so its `last4` is '': show it as unknown).
 */
export const legacySecretId = (clientId: string) => `cs_${clientId}`;

/** The revokedReason (and audit reason) of those keys. */
export const CLIENT_DELETED_KEY_REASON = 'the client that created it was deleted';

/** The contract: `next` carries the revision after this change. Anything else is a caller's bug. */
export function checkRevision(next: ClientRecord, expectedRevision: number): void {
  if (next.revision !== expectedRevision + 1) {
    throw new Error(`updateClient: next.revision must be expectedRevision + 1 (got ${next.revision} after ${expectedRevision})`);
  }
}

/** The reason a secret revoked as leaked records (also a disabled client's secrets). */
export const SECRET_LEAKED_REASON = 'reported_leaked';

/** A secret authentication accepts: neither revoked nor past its end. */
export function isLiveSecret(secret: ClientSecretRecord, now: Date): boolean {
  return !secret.revokedAt && (!secret.expiresAt || secret.expiresAt > now);
}

/** Every live secret revoked now, as a leaked one is: the client authenticates with none until its owner rotates. */
export function revokeLiveSecrets(secrets: readonly ClientSecretRecord[], now: Date): ClientSecretRecord[] {
  return secrets.map((s) => (isLiveSecret(s, now) ? { ...s, revokedAt: now, revokedReason: SECRET_LEAKED_REASON } : s));
}
