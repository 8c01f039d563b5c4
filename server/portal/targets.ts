// The key or app a portal page acts on, read for the signed-in account and passed through the
// authority module like every other management action (a user of the account may act on all of
// them; a key or app of another account is not_found).
import type { Context } from 'koa';
import type { ApiKeyRecord, ClientRecord, Store } from '../../adapters/contract.ts';
import { getKey, keyNotFound } from '../api-keys/service.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { authorize, authorizeCreation, clientTarget, keyTarget } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import { clientNotFound, getClient } from '../clients/service.ts';
import { sessionOf } from './context.ts';

export async function sessionKey(store: Store, issuer: string, ctx: Context, id: string, verb: Verb): Promise<ApiKeyRecord> {
  const session = sessionOf(ctx);
  const key = await getKey(store, session.accountId, id);
  authorize(actorOfSession(session), { resource: 'api_keys', verb }, issuer, keyTarget(key), () => keyNotFound(id));
  return key;
}

export async function sessionClient(store: Store, issuer: string, ctx: Context, id: string, verb: Verb): Promise<ClientRecord> {
  const session = sessionOf(ctx);
  const client = await getClient(store, session.accountId, id);
  authorize(actorOfSession(session), { resource: 'clients', verb }, issuer, clientTarget(client), () => clientNotFound(id));
  return client;
}

/**
 * Why the signed-in user may not create a `resource` in `environment` (an unconfirmed address and
 * live), in words for the form's environment field; undefined when it may.
 */
export function creationRefusal(ctx: Context, resource: 'api_keys' | 'clients', environment: string | undefined, issuer: string): string | undefined {
  if (environment !== 'test' && environment !== 'live') return undefined; // the service names what is allowed
  try {
    authorizeCreation(actorOfSession(sessionOf(ctx)), resource, environment, issuer);
    return undefined;
  } catch (err) {
    if (err instanceof LatchkeyError && err.code === 'email_unverified') return err.message;
    throw err;
  }
}
