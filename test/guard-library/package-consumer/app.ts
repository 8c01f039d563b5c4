// A resource server written against the installed @latchkey/guard package, as an operator's strict
// TypeScript project would use it: node:http, no framework, so no framework types are installed.
// package.test.ts compiles it with tsc (strict, no skipLibCheck) and runs the output.
import { createServer, type ServerResponse } from 'node:http';
import { createGuard, GuardError, type Principal } from '@latchkey/guard';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const guard = createGuard({
  issuer: setting('LATCHKEY_ISSUER'),
  resource: setting('RESOURCE'),
  scopes: ['read:orders', 'write:orders'],
  introspection: { clientId: setting('INTROSPECTION_CLIENT_ID'), clientSecret: setting('INTROSPECTION_CLIENT_SECRET') },
});

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const scope = req.method === 'POST' ? 'write:orders' : 'read:orders';
  guard.authenticate(req.headers.authorization).then((principal: Principal) => {
    guard.requireScope(principal, scope);
    reply(res, 200, { account_id: principal.accountId, env: principal.environment, credential: principal.credential.kind });
  }).catch((err: unknown) => {
    if (!(err instanceof GuardError)) return reply(res, 500, { error: { code: 'internal' } });
    const { status, headers, body } = guard.errorResponse(err);
    reply(res, status, body, headers);
  });
});

server.listen(Number(setting('PORT')), '127.0.0.1', () => {
  process.stdout.write(`consumer listening (node ${process.version})\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
