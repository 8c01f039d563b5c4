// A small MCP server (the official @modelcontextprotocol/sdk, Streamable HTTP transport) whose
// tools are protected by Latchkey through the guard library: an MCP client that was refused learns
// from the 401 where to get a token (protected resource metadata, RFC 9728), registers, has the user
// sign in and consent, and comes back with a token. `list_notes` needs read:notes, `add_note`
// write:notes. Notes are kept per account and environment, in memory.
//   LATCHKEY_ISSUER=… MCP_RESOURCE=http://127.0.0.1:4100/mcp INTROSPECTION_CLIENT_ID=… \
//   INTROSPECTION_CLIENT_SECRET=… PORT=4100 node examples/mcp-server/server.ts
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { createGuard, GuardError, type Principal } from 'latchkey/guard';

export interface McpExampleOptions {
  readonly issuer: string;
  /** This server's resource indicator in Latchkey's catalog: its /mcp URL. */
  readonly resource: string;
  readonly introspection: { clientId: string; clientSecret: string };
}

const MAX_BODY = 64 * 1024;
/** The scope each tool needs. */
const TOOL_SCOPES: Record<string, string> = { list_notes: 'read:notes', add_note: 'write:notes' };

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new Error('body too large');
  }
  return text ? JSON.parse(text) : undefined;
}

/** The tools a JSON-RPC message (or batch) calls. */
function toolsCalled(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) => {
    const message = m as { method?: unknown; params?: { name?: unknown } } | undefined;
    return message?.method === 'tools/call' && typeof message.params?.name === 'string' ? [message.params.name] : [];
  });
}

export function mcpHandler(options: McpExampleOptions) {
  const guard = createGuard({
    issuer: options.issuer, resource: options.resource, scopes: ['read:notes', 'write:notes'], resourceName: 'Notes (MCP)',
    introspection: options.introspection, challengeScope: 'read:notes',
  });
  const metadata = guard.resourceMetadata();
  const mcpPath = new URL(options.resource).pathname;
  const notes = new Map<string, string[]>();
  const notesOf = (p: Principal) => {
    const key = `${p.accountId}/${p.environment}`;
    if (!notes.has(key)) notes.set(key, []);
    return notes.get(key)!;
  };

  function mcpServerFor(principal: Principal): McpServer {
    const server = new McpServer({ name: 'latchkey-notes', version: '1.0.0' });
    server.registerTool('list_notes', { description: 'List your notes (read:notes)' }, () => ({
      content: [{ type: 'text', text: JSON.stringify(notesOf(principal)) }],
    }));
    server.registerTool('add_note', { description: 'Add a note (write:notes)', inputSchema: { text: z.string().max(500) } }, ({ text }) => {
      notesOf(principal).push(text);
      return { content: [{ type: 'text', text: 'added' }] };
    });
    return server;
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === metadata.path) return send(res, 200, { 'access-control-allow-origin': '*' }, metadata.document);
    if (path !== mcpPath) return send(res, 404, {}, { error: 'not found' });
    try {
      const principal = await guard.authenticate(req.headers.authorization);
      const body = await readBody(req);
      // Each tool's scope, before the tool runs: a missing one is RFC 6750's 403 insufficient_scope.
      for (const tool of toolsCalled(body)) {
        const scope = TOOL_SCOPES[tool];
        if (scope) guard.requireScope(principal, scope);
      }
      // Stateless: one server and transport per request.
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      const server = mcpServerFor(principal);
      res.on('close', () => { void transport.close(); void server.close(); });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (err) {
      if (!(err instanceof GuardError)) return send(res, 400, {}, { error: 'bad request' });
      const answer = guard.errorResponse(err);
      send(res, answer.status, answer.headers, answer.body);
    }
  };
}

export async function startMcpServer(options: McpExampleOptions, port: number): Promise<Server> {
  const handle = mcpHandler(options);
  const server = createServer((req, res) => { void handle(req, res); });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

if (import.meta.main) {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`set ${name}`);
    return value;
  };
  const port = Number(process.env.PORT ?? 4100);
  await startMcpServer({
    issuer: env('LATCHKEY_ISSUER'), resource: env('MCP_RESOURCE'),
    introspection: { clientId: env('INTROSPECTION_CLIENT_ID'), clientSecret: env('INTROSPECTION_CLIENT_SECRET') },
  }, port);
  process.stdout.write(`MCP server on http://127.0.0.1:${port}\n`);
}
