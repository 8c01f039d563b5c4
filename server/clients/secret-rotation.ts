// A client's secrets as a list, newest first. Rotation adds a new secret and gives the previous
// newest an end (now + overlap); an overlap of 0, or a leak, revokes instead. Pure functions: the
// service stores the result with a conditional update.
import { isLiveSecret, revokeLiveSecrets, SECRET_LEAKED_REASON } from '../../adapters/client-lifecycle.ts';
import type { ClientSecretRecord } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { generateSecret, generateSortableId, type Pepper } from '../secrets.ts';

export const REVOKED_ROTATED = 'rotated with no overlap';
export const REVOKED_BY_OWNER = 'revoked by its owner';
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
 * The list after rotating to `fresh`. With an overlap, the secret rotated away (the newest live one)
 * works until now + overlap (or its own earlier end), and earlier ones keep their own ends. With no
 * overlap, every earlier live secret dies now. `leaked`: every earlier live secret dies now, as
 * reported leaked, whatever the overlap. Secrets already dead stay dead: nothing here ever clears a
 * revocation. TooManyLiveSecrets when more than LIMITS.liveSecretsPerClient would be live.
 */
export function rotate(
  secrets: readonly ClientSecretRecord[], fresh: ClientSecretRecord, now: Date, overlapSeconds: number, leaked: boolean,
): ClientSecretRecord[] {
  const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
  const newestLive = secrets.findIndex((secret) => isLive(secret, now));
  const older = secrets.map((secret, index) => {
    if (!isLive(secret, now)) return secret;
    if (leaked) return revoke(secret, now, REVOKED_LEAKED);
    if (overlapSeconds === 0) return revoke(secret, now, REVOKED_ROTATED);
    if (index === newestLive && (!secret.expiresAt || secret.expiresAt > overlapEnd)) return { ...secret, expiresAt: overlapEnd };
    return secret;
  });
  const next = prune([fresh, ...older], now);
  if (next.filter((secret) => isLive(secret, now)).length > LIMITS.liveSecretsPerClient) throw new TooManyLiveSecrets();
  return next;
}

/** A rotation would leave more than LIMITS.liveSecretsPerClient secrets working. */
export class TooManyLiveSecrets extends Error {
  constructor() {
    super(`a client holds at most ${LIMITS.liveSecretsPerClient} live secrets: rotate with no overlap, `
      + 'or revoke a secret it no longer uses');
    this.name = 'TooManyLiveSecrets';
  }
}

/** The list with one live secret revoked now by its owner; undefined when it is not live (or not there). */
export function revokeOne(secrets: readonly ClientSecretRecord[], secretId: string, now: Date): ClientSecretRecord[] | undefined {
  if (!secrets.some((secret) => secret.id === secretId && isLive(secret, now))) return undefined;
  return secrets.map((secret) => (secret.id === secretId ? revoke(secret, now, REVOKED_BY_OWNER) : secret));
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
