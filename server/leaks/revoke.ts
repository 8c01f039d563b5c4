// Finds and revokes any credential Latchkey issued from a reported string: an API key, a client
// secret or a refresh token, whatever its state. Reported strings are never logged or stored: only
// how many there were and how many matched.
import type { ApiKeyRecord, ClientRecord, Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import { revokeKey } from '../api-keys/service.ts';
import { REVOKED_LEAKED } from '../clients/secret-rotation.ts';
import { revokeLeakedSecrets } from '../clients/service.ts';
import { storageKey } from '../oidc/adapter.ts';
import type { Pepper } from '../secrets.ts';

/** Who revokes: the public endpoint or a secret-scanning partner. */
export type ReportActor = 'report:public' | 'report:github';

export type Issued =
  | { readonly kind: 'api_key'; readonly key: ApiKeyRecord }
  | { readonly kind: 'client_secret'; readonly client: ClientRecord; readonly secretId: string }
  | { readonly kind: 'refresh_token'; readonly grantId: string };

/** Our client secrets: 43 base62 characters (server/secrets.ts). */
const CLIENT_SECRET_SHAPE = /^[0-9A-Za-z]{43}$/;
/** oidc-provider's opaque tokens: base64url, a few dozen characters. */
const OPAQUE_TOKEN_SHAPE = /^[\w-]{20,128}$/;

/** The credential we issued that `value` is, in any state; undefined when it is none. */
export async function findIssued(store: Store, pepper: Pepper, value: string): Promise<Issued | undefined> {
  if (parseApiKey(value)) {
    const key = await store.findApiKeyByHash(pepper.hash(value));
    return key ? { kind: 'api_key', key } : undefined;
  }
  if (CLIENT_SECRET_SHAPE.test(value)) {
    const hash = pepper.hash(value);
    const client = await store.findClientBySecretHash(hash);
    const secret = client?.secrets.find((s) => s.hash === hash);
    if (client && secret) return { kind: 'client_secret', client, secretId: secret.id };
  }
  if (OPAQUE_TOKEN_SHAPE.test(value)) {
    const token = await store.oidc.find('RefreshToken', storageKey('RefreshToken', value));
    if (typeof token?.grantId === 'string') return { kind: 'refresh_token', grantId: token.grantId };
  }
  return undefined;
}

/**
 * Revokes what was found, as reported leaked: an API key (and the keys it created), every live
 * secret of a client, or a refresh token's whole grant. Already revoked: nothing more. `url` (where
 * a scanner saw it) goes into the audit detail.
 */
export async function revokeIssued(store: Store, issued: Issued, actor: ReportActor, url?: string): Promise<void> {
  switch (issued.kind) {
    case 'api_key':
      if (issued.key.revokedAt) return;
      try {
        await revokeKey(store, issued.key, REVOKED_LEAKED, actor, url ? { url } : undefined);
      } catch (err) {
        // A concurrent revocation already did the job; anything else (the store is down) must surface.
        if (!(err instanceof LatchkeyError && err.code === 'conflict')) throw err;
      }
      return;
    case 'client_secret':
      await revokeLeakedSecrets(store, issued.client, issued.secretId, actor, url ? { url } : {});
      return;
    case 'refresh_token':
      await store.oidc.revokeByGrantId(issued.grantId, { reason: REVOKED_LEAKED, actor, at: new Date() });
  }
}

/** Finds and revokes each string; resolves with how many were credentials we issued. */
export async function revokeReported(store: Store, pepper: Pepper, values: readonly string[], actor: ReportActor): Promise<number> {
  let matched = 0;
  for (const value of new Set(values)) {
    const issued = await findIssued(store, pepper, value);
    if (!issued) continue;
    matched += 1;
    await revokeIssued(store, issued, actor);
  }
  return matched;
}
