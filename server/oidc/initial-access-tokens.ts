// Initial access tokens for dynamic client registration (LATCHKEY_REGISTRATION=token): made for an
// account in the portal (OAuth apps) or by the operator (`latchkey registration-token create`), written as oidc-provider's
// InitialAccessToken model stores one, with the account beside it (that model cannot carry it).
import { randomBytes } from 'node:crypto';
import type { Environment, Store } from '../../adapters/contract.ts';
import { ValidationError } from '../../config/errors.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { storageKey } from './storage-key.ts';
import { POLICY } from './registration.ts';
import { generateSortableId } from '../secrets.ts';

/** The account of an initial access token, under the token's storage key. */
export const ACCOUNT_MODEL = 'RegistrationTokenAccount';

/** An initial access token for an account (token policy): its value, shown once; valid LIFETIMES.initialAccessToken. */
export async function createInitialAccessToken(
  store: Store, accountId: string, environment: Environment, actor: string,
): Promise<{ token: string; expiresAt: Date; id: string }> {
  if (!await store.findAccount(accountId)) throw new ValidationError('account', `no account ${accountId.replace(/[^\w-]/g, '')}`);
  const token = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const exp = now + LIFETIMES.initialAccessToken;
  // The token as oidc-provider's InitialAccessToken model stores it (opaque: its value is its jti),
  // and beside it the account, which that model cannot carry.
  const key = storageKey('InitialAccessToken', token);
  await store.oidc.upsert('InitialAccessToken', key, { iat: now, exp, kind: 'InitialAccessToken', policies: [POLICY[environment]] }, LIFETIMES.initialAccessToken);
  // Under the token's digest, as the token itself: no token is kept in plaintext.
  await store.oidc.upsert(ACCOUNT_MODEL, key, { accountId }, LIFETIMES.initialAccessToken);
  // Named in the audit log by the start of its digest: never by the token.
  const id = `iat_${key.slice(0, 16)}`;
  await store.recordAuditEvent({
    id: generateSortableId('evt'), accountId, actor, action: 'registration_token.created', targetId: id, reason: undefined,
    at: new Date(now * 1000), detail: { environment },
  });
  return { token, expiresAt: new Date(exp * 1000), id };
}


