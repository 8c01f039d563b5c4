// A client's secrets over time, against the store: rotation (with an overlap, with none, or as
// leaked; never more than LIMITS.liveSecretsPerClient live), retiring one, and killing every live
// one when one is reported leaked. The list arithmetic is secret-rotation.ts's; each change here is
// one conditional update (service.ts updateWithRetry) with its audit event.
import type { ClientRecord, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { humanDuration } from '../../config/lifetimes.ts';
import type { Pepper } from '../secrets.ts';
import {
  isLive, newestLiveHash, newSecret, REVOKED_BY_OWNER, REVOKED_LEAKED, revokeAllLive, revokeOne, rotate, TooManyLiveSecrets,
} from './secret-rotation.ts';
import { auditEvent, updateWithRetry } from './service.ts';

export interface RotateOptions {
  /** The current secret was leaked: every older secret dies now, whatever the overlap. */
  readonly leaked?: boolean;
}

/**
 * A new secret now; the previous one keeps working for `overlapSeconds` (0: it dies now). With
 * `leaked`, every older live secret is revoked at once and never works again.
 */
export async function rotateClientSecret(
  store: Store, pepper: Pepper, client: ClientRecord, overlapSeconds: number, actor: string, options: RotateOptions = {},
): Promise<{ clientSecret: string; record: ClientRecord }> {
  if (client.authMethod === 'none') {
    throw new LatchkeyError('conflict', 'a public client has no secret to rotate: it proves each request with PKCE');
  }
  if (client.authMethod !== 'client_secret_basic') {
    throw new LatchkeyError('conflict', 'this client authenticates with private_key_jwt and has no secret; rotate its keys instead');
  }
  const leaked = options.leaked === true;
  const overlap = leaked ? 0 : overlapSeconds;
  let clientSecret = '';
  const record = await updateWithRetry(store, client, async (current, now) => {
    const fresh = newSecret(pepper, now);
    clientSecret = fresh.secret;
    const secrets = rotatedOrRefused(current.secrets, fresh.record, now, overlap, leaked);
    const next: ClientRecord = { ...current, secrets, secretHash: newestLiveHash(secrets, now), updatedAt: now, revision: current.revision + 1 };
    const detail = { name: current.name, overlap: overlap === 0 ? 'none' : humanDuration(overlap), ...(leaked ? { leaked: 'true' } : {}) };
    const event = auditEvent(current, actor, 'client.secret_rotated', now, detail, leaked ? REVOKED_LEAKED : undefined);
    return { next, event };
  });
  return { clientSecret, record };
}

function rotatedOrRefused(...args: Parameters<typeof rotate>): ReturnType<typeof rotate> {
  try {
    return rotate(...args);
  } catch (err) {
    if (err instanceof TooManyLiveSecrets) throw new LatchkeyError('limit_reached', err.message);
    throw err;
  }
}

/** The owner revokes one live secret of the client: it stops at once (the others keep working). */
export async function revokeClientSecret(store: Store, client: ClientRecord, secretId: string, actor: string): Promise<ClientRecord> {
  if (!client.secrets.some((s) => s.id === secretId)) throw new LatchkeyError('not_found', 'no such secret on this client');
  return updateWithRetry(store, client, async (current, now) => {
    const secrets = revokeOne(current.secrets, secretId, now);
    if (!secrets) throw new LatchkeyError('conflict', 'this secret no longer works: there is nothing to revoke');
    const next: ClientRecord = { ...current, secrets, secretHash: newestLiveHash(secrets, now), updatedAt: now, revision: current.revision + 1 };
    return { next, event: auditEvent(current, actor, 'client.secret_retired', now, { name: current.name, secret_id: secretId }, REVOKED_BY_OWNER) };
  });
}

/** Thrown inside an update to store nothing: the reported secret is no longer live. */
class NothingLive extends Error {}

/**
 * A secret of this client was reported leaked: every live secret dies now (`client.secret_revoked`,
 * reason reported_leaked), so the client cannot authenticate with a secret until its owner rotates.
 * `secretId` is the reported one; `detail` adds facts such as the report's URL. False when that
 * secret no longer works (already revoked or expired: reporting an old secret never kills a new one).
 */
export async function revokeLeakedSecrets(
  store: Store, client: ClientRecord, secretId: string, actor: string, detail: Record<string, string> = {},
): Promise<boolean> {
  try {
    await updateWithRetry(store, client, async (current, now) => {
      if (!current.secrets.some((s) => s.id === secretId && isLive(s, now))) throw new NothingLive();
      const secrets = revokeAllLive(current.secrets, now);
      const next: ClientRecord = { ...current, secrets, secretHash: undefined, updatedAt: now, revision: current.revision + 1 };
      const event = auditEvent(current, actor, 'client.secret_revoked', now, { ...detail, name: current.name, secret_id: secretId }, REVOKED_LEAKED);
      return { next, event };
    });
    return true;
  } catch (err) {
    if (err instanceof NothingLive) return false;
    throw err;
  }
}

/**
 * A secret that just authenticated under an older pepper moves to the current one: its hash only;
 * its id, dates and state stay (docs/operations.md, "Rotating the pepper").
 */
export async function moveSecretToCurrentPepper(store: Store, pepper: Pepper, clientId: string, secretId: string, presented: string): Promise<void> {
  const client = await store.findClient(clientId);
  if (!client?.secrets.some((s) => s.id === secretId && !pepper.isCurrent(s.hash))) return;
  await updateWithRetry(store, client, async (current, now) => {
    const secrets = current.secrets.map((s) => (s.id === secretId && !pepper.isCurrent(s.hash) && pepper.matches(presented, s.hash)
      ? { ...s, hash: pepper.hash(presented) } : s));
    const next: ClientRecord = { ...current, secrets, secretHash: newestLiveHash(secrets, now), revision: current.revision + 1 };
    return { next, event: auditEvent(current, 'system', 'client.secret_rehashed', now, { name: current.name, pepper: pepper.currentId }) };
  });
}
