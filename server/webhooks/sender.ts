// Sends one delivery. Where it goes is checked at send time against the address the name resolves
// to now (a name that pointed somewhere public when the webhook was made may not any more), and the
// request connects to that checked address only (pinned through `lookup`), so a second resolution
// cannot send it elsewhere (DNS rebinding). No redirects are followed; the body is not read beyond a
// few KB; everything has a deadline.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pinned, resolveTarget } from '../http/outbound-url.ts';
import type { SendResult } from './backoff.ts';

const MAX_RESPONSE_BYTES = 4096;
const USER_AGENT = 'Latchkey-Webhooks/1';

export interface SendOptions {
  readonly timeout: number;
  /** NODE_ENV=production: only public addresses; otherwise loopback too. */
  readonly production: boolean;
}


const failure = (error: string, statusCode?: number): SendResult => ({ ok: false, statusCode, error });

/** Reads and drops at most a few KB of the answer: receivers' bodies are not ours to keep. */
function drain(response: IncomingMessage): void {
  let seen = 0;
  response.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > MAX_RESPONSE_BYTES) response.destroy();
  });
  response.on('error', () => {});
}

export async function sendDelivery(href: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const url = URL.parse(href);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return failure('the webhook URL is not an http(s) URL');
  if (options.production && url.protocol !== 'https:') return failure('refused: webhooks must use https in production');
  const target = await resolveTarget(url, options.production);
  if (typeof target === 'string') return failure(target);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      lookup: pinned(target),
      timeout: options.timeout,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
    }, (response) => {
      clearTimeout(deadline);
      drain(response);
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve({ ok: true, statusCode: status, error: undefined });
      else if (status >= 300 && status < 400) resolve(failure(`the receiver answered ${status}; redirects are not followed`, status));
      else resolve(failure(`the receiver answered ${status}`, status));
    });
    // One deadline for the whole attempt (connect, send, response headers), not only idle time.
    const deadline = setTimeout(() => {
      req.destroy();
      resolve(failure(`no answer within ${options.timeout} ms`));
    }, options.timeout);
    req.on('timeout', () => req.destroy());
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      resolve(failure(describeNetworkError(err)));
    });
    req.end(body);
  });
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'the connection was refused';
    case 'ECONNRESET': return 'the connection was reset';
    case 'ETIMEDOUT': return 'the connection timed out';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'the host is unreachable';
    default: return err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') ? 'the TLS handshake failed' : 'the request failed';
  }
}
