// A client's secrets as a list, newest first. Rotation adds a new secret and gives the previous
// newest an end (now + overlap); an overlap of 0, or a leak, revokes instead. Pure functions: the
// service stores the result with a conditional update.
import { isLiveSecret, revokeLiveSecrets, SECRET_LEAKED_REASON } from '../../adapters/client-lifecycle.ts';
import type { ClientSecretRecord } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { generateSecret, generateSortableId, type Pepper } from '../secrets.ts';

export const REVOKED_ROTATED = 'rotated with no overlap';
export const REVOKED_LEAKED = SECRET_LEAKED_REASON;

/** A secret authentication accepts: neither revoked nor past its end. */
export const isLive = isLiveSecret;

/** A new secret, its hash and display hint; the secret itself exists only in the return value. */
export function newSecret(pepper: Pepper, now: Date): { secret: string; record: ClientSecretRecord } {
  const secret = generateSecret();
  return {
    secret,
    record: {
      id: generateSortableId('cs'), hash: pepper.hash(secret), last4: secret.slice(-4), createdAt: now,
      expiresAt: undefined, revokedAt: undefined, revokedReason: undefined,
    },
  };
}

/** When a dead secret stopped working. */
function endOf(secret: ClientSecretRecord): Date | undefined {
  return secret.revokedAt ?? secret.expiresAt;
}

/** Drops secrets dead for longer than LIMITS.retiredClientSecretKeptFor (they are listed until then). */
export function prune(secrets: readonly ClientSecretRecord[], now: Date): ClientSecretRecord[] {
  const horizon = now.getTime() - LIMITS.retiredClientSecretKeptFor * 1000;
  return secrets.filter((s) => isLive(s, now) || (endOf(s)?.getTime() ?? Infinity) > horizon);
}

const revoke = (secret: ClientSecretRecord, now: Date, reason: string): ClientSecretRecord =>
  ({ ...secret, revokedAt: now, revokedReason: reason });

/**
 * The list after rotating to `fresh`: the previous newest (if live) works until now + overlap, or
 * dies now with overlap 0. `leaked`: every older live secret dies now, as reported leaked, whatever
 * the overlap. Secrets already dead stay dead: nothing here ever clears a revocation.
 */
export function rotate(
  secrets: readonly ClientSecretRecord[], fresh: ClientSecretRecord, now: Date, overlapSeconds: number, leaked: boolean,
): ClientSecretRecord[] {
  const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
  const older = secrets.map((secret, index) => {
    if (!isLive(secret, now)) return secret;
    if (leaked) return revoke(secret, now, REVOKED_LEAKED);
    if (index === 0 && !secret.expiresAt) return overlapSeconds === 0 ? revoke(secret, now, REVOKED_ROTATED) : { ...secret, expiresAt: overlapEnd };
    // An earlier secret still in its overlap keeps its own end, never a later one.
    return secret;
  });
  return prune([fresh, ...older], now);
}

/**
 * Every live secret dies now, as reported leaked: the client has no secret to authenticate with until
 * its owner rotates, and rotation never brings these back (see rotate).
 */
export const revokeAllLive = revokeLiveSecrets;

/** The newest live secret's hash: what oidc-provider sees as client_secret. */
export function newestLiveHash(secrets: readonly ClientSecretRecord[], now: Date): string | undefined {
  return secrets.find((s) => isLive(s, now))?.hash;
}
