// What kind of MongoDB deployment a `hello` reply describes, and whether Latchkey can run on it.
// Transactions need a replica set or a sharded cluster: on a standalone server boot would succeed
// and then every transaction (account creation, key changes, grant revocation) would fail with a 500.
import type { Document } from 'mongodb';

export type HelloVerdict =
  | { ok: true; kind: 'replica-set' | 'sharded' }
  | { ok: false; reason: string };

const FIX = 'Latchkey needs a replica set (a one-node one is fine: start mongod with --replSet rs0 and run '
  + 'rs.initiate() once, as docker-compose.yml does) or a sharded cluster; point MONGODB_URI at it';

/** Decides from the reply of the `hello` command; `hosts` names the server in the message. */
export function classifyHello(reply: Document, hosts: string): HelloVerdict {
  if (reply.msg === 'isdbgrid') return { ok: true, kind: 'sharded' };
  if (typeof reply.setName === 'string' && reply.setName !== '') return { ok: true, kind: 'replica-set' };
  // Started with --replSet but rs.initiate() was never run: it has no set name yet.
  if (reply.isreplicaset === true) {
    return { ok: false, reason: `MONGODB_URI points at ${hosts}, a replica set member that was never initiated: run rs.initiate() once in mongosh. ${FIX}` };
  }
  return { ok: false, reason: `MONGODB_URI points at ${hosts}, a standalone MongoDB server, where transactions fail. ${FIX}` };
}
