// Closing the HTTP server without cutting requests in flight, after a drain: readiness answers 503
// first, so a load balancer moves traffic away while this instance still serves.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHUTDOWN } from '../../config/lifetimes.ts';

/** Whether this instance is draining: /readyz answers 503 and responses close their connections. */
export class Draining {
  #active = false;

  get active(): boolean {
    return this.#active;
  }

  /** Turns readiness off, then waits `seconds` (less if `cut` aborts: a second signal). */
  async run(seconds: number, cut?: AbortSignal): Promise<void> {
    this.#active = true;
    if (seconds <= 0 || cut?.aborted) return;
    await sleep(seconds * 1000, undefined, { signal: cut }).catch(() => undefined);
  }
}

/** How long requests in flight get to finish once the server stops accepting, before their connections are cut. */
export const SHUTDOWN_GRACE_MS = SHUTDOWN.graceMs;
/** Connections that finish a request after close() turn idle; they are closed at this pace. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops accepting connections, closes idle keep-alive ones (now and as requests finish), and after
 * `graceMs` cuts whatever is still open. Resolves when every connection is gone.
 */
export async function closeGracefully(server: Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
