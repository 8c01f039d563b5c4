// A real server answering introspection for resource servers, and the calls a resource server makes.
import type { ApiKeyRecord } from '../../adapters/contract.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { createResourceServer } from '../../server/clients/resource-servers.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import type { Pepper } from '../../server/secrets.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type StartOptions, type TestServer } from '../helpers/server.ts';

export interface IntrospectionServer extends TestServer {
  readonly pepper: Pepper;
  resourceServer(resource: string, name?: string): Promise<Credentials>;
  apiKey(accountId: string, scopes: string, options?: { env?: string; expiresAt?: string }): Promise<{ key: string; record: ApiKeyRecord }>;
}

export interface Credentials { clientId: string; clientSecret: string }

export async function startIntrospectionServer(options: StartOptions = {}): Promise<IntrospectionServer> {
  const server = await startServer(options);
  const { latchkey } = server;
  const keys = await loadKeyMaterial(latchkey.settings, latchkey.store, silentLogger);
  return Object.assign(server, {
    pepper: keys.pepper,
    async resourceServer(resource: string, name = 'Orders API') {
      const created = await createResourceServer(latchkey.store, keys.pepper, { resource, name, issuer: server.issuer, actor: 'cli' });
      recordSecret(created.clientSecret);
      return { clientId: created.clientId, clientSecret: created.clientSecret };
    },
    async apiKey(accountId: string, scopes: string, { env = 'test', expiresAt }: { env?: string; expiresAt?: string } = {}) {
      const created = await createKey(latchkey.store, keys.pepper, { accountId, environment: env, scopes, expiresAt, actor: 'cli' });
      recordSecret(created.key);
      return created;
    },
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POST /token/introspection as RFC 7662 shows it: the caller's credentials in HTTP Basic. */
export async function introspect(issuer: string, caller: Credentials, token: string, extra: Record<string, string> = {}): Promise<Answer> {
  const basic = Buffer.from(`${encodeURIComponent(caller.clientId)}:${encodeURIComponent(caller.clientSecret)}`).toString('base64');
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ token, ...extra }),
  });
  return { status: response.status, headers: response.headers, body: await response.json() as Record<string, unknown> };
}
