// A webhook receiver for tests: a real HTTP server on 127.0.0.1 that keeps every request and
// answers as the test says (a status per attempt, or holding a request open).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly path: string;
  readonly at: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Answers the next requests with these statuses, then 200. */
  statuses: number[];
  /** When set, a request is kept open (never answered) while this returns true. */
  hold?: (request: Received) => boolean;
  /** Answers after this many milliseconds. */
  delay?: number;
  /** Resolves once `count` requests arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const open = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: '', received: [], statuses: [],
    async waitFor(count, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (receiver.received.length < count) {
        if (Date.now() > until) throw new Error(`the receiver got ${receiver.received.length} requests, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return receiver.received;
    },
    close() {
      for (const res of open) res.destroy();
      return new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const request = { headers: req.headers as Record<string, string>, body, path: req.url ?? '', at: Date.now() };
      receiver.received.push(request);
      if (receiver.hold?.(request)) { open.add(res); return; }
      res.statusCode = receiver.statuses.shift() ?? 200;
      if (res.statusCode >= 300 && res.statusCode < 400) res.setHeader('location', `${receiver.url}/elsewhere`);
      if (receiver.delay) setTimeout(() => res.end('ok'), receiver.delay);
      else res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}

/** The payload, verified with the webhook's secret as a receiver would (throws when it does not verify). */
export function verified(secret: string, request: Received): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
