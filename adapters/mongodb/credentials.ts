// The MongoDB store's credentials generation: an append-only collection of changes (TTL: a day),
// one document inserted by the transaction of each credential change, the newest id polled by every
// instance. Not one counter document: every revocation would then conflict with every other.
import type { ClientSession } from 'mongodb';
import { sortableId } from '../ids.ts';
import { guard, type Connection } from './connection.ts';

/** Inside the change's transaction: the generation moves with it, or not at all. */
export async function markCredentialsChanged(connection: Connection, session: ClientSession): Promise<void> {
  await connection.credentialChanges().insertOne({ _id: sortableId('chg'), at: new Date() }, { session });
  connection.credentialsChangedIn(session);
}

/** The newest change's id; "none" once a day passed without any (the TTL took them all). */
export async function readCredentialsGeneration(connection: Connection): Promise<string> {
  const newest = await guard(() => connection.credentialChanges().find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).toArray());
  return newest[0]?._id ?? 'none';
}
