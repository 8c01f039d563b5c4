// The key or app a portal page acts on, read for the signed-in account and passed through the
// authority module like every other management action (a user of the account may act on all of
// them; a key or app of another account is not_found).
import type { Context } from 'koa';
import type { ApiKeyRecord, ClientRecord, Store } from '../../adapters/contract.ts';
import { getKey, keyNotFound } from '../api-keys/service.ts';
import { authorize, clientTarget, keyTarget } from '../authority/authorize.ts';
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
