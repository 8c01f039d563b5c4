// Management of OAuth clients at /v1/clients (JSON), beside /v1/api-keys, and their logos at
// /logos/<client id>, served from our own origin.
import Router from '@koa/router';
import type { Store } from '../../adapters/contract.ts';
import type { Guard } from '../guard/authenticate.ts';
import type { PortalSessions } from '../portal/sessions.ts';
import type { Pepper } from '../secrets.ts';

export function clientRoutes(store: Store, pepper: Pepper, issuer: string, guard: Guard, sessions: PortalSessions): Router {
  const router = new Router({ prefix: '/v1/clients' });
  void store; void pepper; void issuer; void guard; void sessions;
  return router;
}

export function logoRoutes(store: Store): Router {
  const router = new Router({ prefix: '/logos' });
  void store;
  return router;
}
