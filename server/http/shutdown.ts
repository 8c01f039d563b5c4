// Closing the HTTP server without cutting requests in flight.
import type { Server } from 'node:http';

/** How long requests in flight get to finish after SIGTERM before their connections are cut (docs/operations.md). */
export const SHUTDOWN_GRACE_MS = 10_000;
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
