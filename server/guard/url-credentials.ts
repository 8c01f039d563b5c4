// Credentials only in the header. A URL is written to access logs, proxy logs, browser history and
// Referer headers, so a request that carries a credential in its URL is refused, and a valid API
// key found there is revoked at once as compromised (audit event, reason in the key list).
import { EXPOSED_IN_URL_REASON } from '../../config/revocation.ts';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import type { Logger } from '../log.ts';
import { findByAnyPepper, type Pepper } from '../secrets.ts';
import { parseApiKey } from '../http/api-key-format.ts';
import { revokeKey } from '../api-keys/service.ts';
import { decodings, scanForKeys } from '../http/key-scan.ts';

/** Query parameter names that only ever carry credentials. */
export const CREDENTIAL_PARAMETERS = new Set([
  'api_key', 'apikey', 'api-key', 'access_token', 'key', 'token', 'secret', 'client_secret', 'refresh_token', 'password',
]);

export const EXPOSED_REASON = EXPOSED_IN_URL_REASON;

/** A parameter name that carries credentials, however many times it was percent-encoded. */
function isCredentialName(name: string): boolean {
  return decodings(name).some((form) => CREDENTIAL_PARAMETERS.has(form.trim().toLowerCase()));
}

export function refuseCredentialsInUrl(store: Store, pepper: Pepper, log: Logger) {
  async function revokeExposed(key: string): Promise<boolean> {
    if (!parseApiKey(key)) return false;
    const record = (await findByAnyPepper(pepper, key, (hash) => store.findApiKeyByHash(hash)))?.found;
    if (!record) return false;
    if (!record.revokedAt) {
      try {
        await revokeKey(store, record, EXPOSED_REASON, 'system');
        log.warn('API key revoked: it was sent in a URL', { key_id: record.id, account_id: record.accountId });
      } catch (err) {
        // A concurrent revocation already did the job; anything else (the store is down) must surface.
        if (!(err instanceof LatchkeyError && err.code === 'conflict')) throw err;
      }
    }
    return true;
  }

  /** Revokes the API keys found in the URL, then refuses the request. */
  async function refuse(keys: readonly string[], named: readonly string[]): Promise<never> {
    let revoked = false;
    for (const key of keys) revoked = (await revokeExposed(key)) || revoked;
    const where = named.length > 0 ? ` (query parameter "${named[0]}")` : '';
    throw new LatchkeyError('credential_in_url',
      `Credentials belong in the Authorization header, never in a URL${where}.`
      + (revoked ? ' The API key in this URL has been revoked because URLs are logged; create or roll a new one.' : ''),
      { details: revoked ? { key_revoked: true } : {} });
  }

  return function credentialsOnlyInHeaders(ctx: Context, next: Next) {
    // The whole URL, path and query: see server/http/key-scan.ts for the forms a key is found in.
    const { keys, keyShaped } = scanForKeys(ctx.originalUrl);
    const named = Object.keys(ctx.query).filter(isCredentialName);
    return !keyShaped && named.length === 0 ? next() : refuse(keys, named);
  };
}
