// oidc-provider's `fetch` hook (client ID metadata documents, and any other URL it would fetch): https
// only, to an address our outbound rules allow (outbound-url.ts: public addresses only in
// production), connected to that checked address (pinned), with a deadline and no redirects. The
// body is streamed to oidc-provider, which stops reading at its size limit. A refusal is logged for
// the operator and not told to the client: what our resolver knows of internal names is not theirs.
import { request } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { pinned, resolveTarget } from './outbound-url.ts';

export interface OutboundFetchOptions {
  readonly production: boolean;
  /** Certificates (PEM) trusted besides the system's (LATCHKEY_OUTBOUND_CA_FILE). */
  readonly ca: string | undefined;
  readonly timeoutMs: number;
  readonly warn: (message: string, fields: Record<string, unknown>) => void;
}

type FetchInit = { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; signal?: AbortSignal | null };

/** Statuses a Response may not give a body. */
const NO_BODY = new Set([204, 205, 304]);

export function outboundFetch(options: OutboundFetchOptions) {
  return async function fetchOutbound(input: string | URL | Request, init: FetchInit = {}): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const refuse = (reason: string): never => {
      options.warn('outbound request refused', { host: url.host, reason });
      throw new Error(`outbound request refused: ${reason}`);
    };
    if (url.protocol !== 'https:') refuse('https only');
    const target = await resolveTarget(url, options.production);
    if (typeof target === 'string') refuse(target);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(url, {
        method: init.method ?? 'GET', headers: { ...headers, 'user-agent': 'Latchkey' }, lookup: pinned(target as Exclude<typeof target, string>),
        timeout: options.timeoutMs, signal: init.signal ?? undefined, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
      }, (incoming) => {
        const status = incoming.statusCode ?? 502;
        const answer = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of [value ?? []].flat()) answer.append(name, one);
        }
        if (NO_BODY.has(status) || status < 200 || status > 599) {
          incoming.resume();
          resolve(new Response(null, { status: NO_BODY.has(status) ? status : 502, headers: answer }));
          return;
        }
        resolve(new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, { status, headers: answer }));
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      outgoing.on('error', (err) => {
        options.warn('outbound request failed', { host: url.host, reason: err.message });
        reject(err);
      });
      outgoing.end();
    });
  };
}
