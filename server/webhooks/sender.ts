// Sends one delivery. Where it goes is checked at send time against the address the name resolves
// to now (a name that pointed somewhere public when the webhook was made may not any more), and the
// request connects to that checked address only (pinned through `lookup`), so a second resolution
// cannot send it elsewhere (DNS rebinding). No redirects are followed; of the answer only its start
// is kept (for the owner's delivery log), read for at most a second; everything has a deadline.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pinned, resolveTarget } from '../http/outbound-url.ts';
import type { SendResult } from './backoff.ts';
import { LIMITS } from '../../config/limits.ts';

const MAX_RESPONSE_BYTES = 4096;
const USER_AGENT = 'Latchkey-Webhooks/1';

export interface SendOptions {
  readonly timeout: number;
  /** NODE_ENV=production: only public addresses; otherwise loopback too. */
  readonly production: boolean;
}


const failure = (error: string, statusCode?: number): SendResult => ({ ok: false, statusCode, error });

/** How long the start of an answer is waited for, once its status is known. */
const EXCERPT_WAIT_MS = 1000;

/** The start of the answer, as printable text (LIMITS.webhookResponseExcerpt characters at most); the rest is dropped. */
function excerptOf(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      response.destroy();
      const text = Buffer.concat(chunks).toString('utf8').replace(/[^\x20-\x7e\n\t\u00a0-\uffff]/g, ' ');
      resolve(text.slice(0, LIMITS.webhookResponseExcerpt));
    };
    const timer = setTimeout(done, EXCERPT_WAIT_MS);
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      seen += chunk.length;
      if (seen > MAX_RESPONSE_BYTES) done();
    });
    response.on('end', done);
    response.on('error', done);
  });
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
      const status = response.statusCode ?? 0;
      const result = status >= 200 && status < 300 ? { ok: true, statusCode: status, error: undefined }
        : status >= 300 && status < 400 ? failure(`the receiver answered ${status}; redirects are not followed`, status)
          : failure(`the receiver answered ${status}`, status);
      void excerptOf(response).then((excerpt) => resolve({ ...result, response: excerpt }));
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
