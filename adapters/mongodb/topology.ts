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

/**
 * Why a server selection failed, when the servers it found say so: with `replicaSet=…` in the URI
 * the driver never talks to a standalone server or a never-initiated member (it waits for a member
 * of the set), so `hello` above is not reached; the topology the error carries still tells which
 * (the driver's ServerDescription types `Standalone` and `RSGhost`). Undefined: truly unreachable.
 */
export function classifyUnreachable(serverTypes: readonly string[], hosts: string): string | undefined {
  if (serverTypes.includes('RSGhost')) {
    return `MONGODB_URI points at ${hosts}, a replica set member that was never initiated: run rs.initiate() once in mongosh. ${FIX}`;
  }
  if (serverTypes.includes('Standalone')) return `MONGODB_URI points at ${hosts}, a standalone MongoDB server, where transactions fail. ${FIX}`;
  return undefined;
}

/** The types of the servers a server-selection error's topology found (none for other errors). */
export function serverTypesOf(err: unknown): string[] {
  const servers = (err as { reason?: { servers?: Map<string, { type?: unknown }> } } | undefined)?.reason?.servers;
  return servers instanceof Map ? [...servers.values()].map((server) => String(server.type)) : [];
}
