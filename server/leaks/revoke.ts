// Finds any credential Latchkey issued in a reported string (an API key, a client secret or a
// refresh token) and revokes it when it still works. A report of a credential that no longer works
// (revoked, expired, rolled past its overlap, a refresh token spent for good) revokes nothing, so an
// old leak never kills the live credential that replaced it; its owner is told instead, at most once
// per credential per day. Reported strings are never logged or stored: only how many there were and
// how many matched.
import type { ApiKeyRecord, ClientRecord, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { keyStatus, revokeKey } from '../api-keys/service.ts';
import { isLive, REVOKED_LEAKED } from '../clients/secret-rotation.ts';
import { revokeLeakedSecrets } from '../clients/secrets.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import { limitKey } from '../limits/failures.ts';
import { storageKey } from '../oidc/storage-key.ts';
import { refreshTokenStillWorks } from '../oidc/refresh-retry.ts';
import { findByAnyPepper, generateSortableId, type Pepper } from '../secrets.ts';

/** Who revokes: the public endpoint or a secret-scanning partner. */
export type ReportActor = 'report:public' | 'report:github';

export type Issued =
  | { readonly kind: 'api_key'; readonly key: ApiKeyRecord; readonly live: boolean }
  | { readonly kind: 'client_secret'; readonly client: ClientRecord; readonly secretId: string; readonly live: boolean }
  | { readonly kind: 'refresh_token'; readonly grantId: string; readonly clientId: string | undefined; readonly live: boolean };

/** Our client secrets: 43 base62 characters (server/secrets.ts). */
const CLIENT_SECRET_SHAPE = /^[0-9A-Za-z]{43}$/;
/** oidc-provider's opaque tokens: base64url, a few dozen characters. */
const OPAQUE_TOKEN_SHAPE = /^[\w-]{20,128}$/;
/** A dead credential's report tells its owner once a day at most. */
const DEAD_REPORT_EVERY_SECONDS = 24 * 60 * 60;

/**
 * The credential we issued that `value` is, in any state, and whether it still works (a refresh
 * token spent inside `retryWindowSeconds` still does); undefined when it is none.
 */
export async function findIssued(store: Store, pepper: Pepper, value: string, retryWindowSeconds: number): Promise<Issued | undefined> {
  const now = new Date();
  if (parseApiKey(value)) {
    const key = (await findByAnyPepper(pepper, value, (hash) => store.findApiKeyByHash(hash)))?.found;
    if (!key) return undefined;
    const status = keyStatus(key, now);
    return { kind: 'api_key', key, live: status === 'active' || status === 'rolled' };
  }
  if (CLIENT_SECRET_SHAPE.test(value)) {
    const hit = await findByAnyPepper(pepper, value, (hash) => store.findClientBySecretHash(hash));
    const client = hit?.found;
    const secret = client?.secrets.find((s) => s.hash === hit?.hash);
    if (client && secret) return { kind: 'client_secret', client, secretId: secret.id, live: isLive(secret, now) };
  }
  if (OPAQUE_TOKEN_SHAPE.test(value)) {
    const storageId = storageKey('RefreshToken', value);
    const token = await store.oidc.find('RefreshToken', storageId);
    if (typeof token?.grantId === 'string') {
      const clientId = typeof token.clientId === 'string' ? token.clientId : undefined;
      return { kind: 'refresh_token', grantId: token.grantId, clientId, live: await refreshTokenStillWorks(store.oidc, storageId, token, retryWindowSeconds) };
    }
  }
  return undefined;
}

/**
 * Revokes what was found, as reported leaked, when it still works: an API key (and what it
 * created), every live secret of a client, or a refresh token's whole grant. Otherwise tells its
 * owner. `url` (where a scanner saw it) goes into the audit detail.
 */
export async function revokeIssued(store: Store, issued: Issued, actor: ReportActor, url?: string): Promise<void> {
  const detail: Record<string, string> = url ? { url } : {};
  if (!issued.live) {
    await tellOwnerOfDeadReport(store, issued, actor, detail);
    return;
  }
  switch (issued.kind) {
    case 'api_key':
      try {
        await revokeKey(store, issued.key, REVOKED_LEAKED, actor, url ? { url } : undefined);
      } catch (err) {
        // A concurrent revocation already did the job; anything else (the store is down) must surface.
        if (!(err instanceof LatchkeyError && err.code === 'conflict')) throw err;
      }
      return;
    case 'client_secret':
      // False when the secret stopped working meanwhile: then it is a dead credential's report.
      if (!await revokeLeakedSecrets(store, issued.client, issued.secretId, actor, detail)) {
        await tellOwnerOfDeadReport(store, { ...issued, live: false }, actor, detail);
      }
      return;
    case 'refresh_token':
      await store.oidc.revokeByGrantId(issued.grantId, { reason: REVOKED_LEAKED, actor, at: new Date() });
  }
}

/** An audit event (and through it a `credential.leak_reported` webhook event) for the owner, once a day per credential. */
async function tellOwnerOfDeadReport(store: Store, issued: Issued, actor: ReportActor, detail: Record<string, string>): Promise<void> {
  const told = await ownerEventOf(store, issued, detail);
  if (!told) return;
  const { count } = await store.hitCounter(limitKey('leak_dead', told.action, told.targetId, told.detail.secret_id ?? told.detail.grant_id ?? ''),
    DEAD_REPORT_EVERY_SECONDS);
  if (count > 1) return;
  await store.recordAuditEvent({
    id: generateSortableId('evt'), actor, reason: 'reported leaked while it no longer works: nothing was revoked', at: new Date(), ...told,
  });
}

async function ownerEventOf(store: Store, issued: Issued, detail: Record<string, string>) {
  switch (issued.kind) {
    case 'api_key':
      return { accountId: issued.key.accountId, action: 'api_key.reported_dead', targetId: issued.key.id, detail };
    case 'client_secret':
      return { accountId: issued.client.accountId, action: 'client.secret_reported_dead', targetId: issued.client.id, detail: { ...detail, secret_id: issued.secretId } };
    case 'refresh_token': {
      const client = issued.clientId ? await store.findClient(issued.clientId) : undefined;
      return client ? { accountId: client.accountId, action: 'client.refresh_token_reported_dead', targetId: client.id, detail: { ...detail, grant_id: issued.grantId } } : undefined;
    }
  }
}

/** Finds each string and revokes what still works; resolves with how many were credentials we issued. */
export async function revokeReported(
  store: Store, pepper: Pepper, values: readonly string[], actor: ReportActor, retryWindowSeconds: number,
): Promise<number> {
  let matched = 0;
  for (const value of new Set(values)) {
    const issued = await findIssued(store, pepper, value, retryWindowSeconds);
    if (!issued) continue;
    matched += 1;
    await revokeIssued(store, issued, actor);
  }
  return matched;
}
