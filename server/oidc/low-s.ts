// Latchkey's ES256 tokens leave in low-S form. OpenSSL (under jose, under oidc-provider) draws s on
// either side of n/2, and both forms verify; strict verifiers, the guard library among them, accept
// only the low one, so that a token has one spelling. The signature is rewritten, not re-made: the
// signed bytes are unchanged.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { lowS } from '../../packages/guard/jws.ts';
import { useOn } from './route-gate.ts';

/** Whether a JWS header names ES256. Our tokens share a handful of headers (one per key and type), kept here. */
const es256Headers = new Map<string, boolean>();
const KEPT_HEADERS = 64;

function namesEs256(header: string): boolean {
  let known = es256Headers.get(header);
  if (known === undefined) {
    try {
      known = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg === 'ES256';
    } catch {
      known = false;
    }
    if (es256Headers.size >= KEPT_HEADERS) es256Headers.clear();
    es256Headers.set(header, known);
  }
  return known;
}

/** The compact JWS with its ES256 signature in low-S form; anything else as it is. */
export function withLowS(token: string): string {
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  if (headerEnd < 0 || payloadEnd < 0 || token.indexOf('.', payloadEnd + 1) >= 0) return token;
  if (!namesEs256(token.slice(0, headerEnd))) return token;
  const signature = Buffer.from(token.slice(payloadEnd + 1), 'base64url');
  const low = lowS(signature);
  return low === signature ? token : `${token.slice(0, payloadEnd + 1)}${low.toString('base64url')}`;
}

/** Token endpoint answers carry their JWTs (access and ID tokens) in low-S form. */
export function lowSTokenAnswers(provider: Provider): void {
  useOn(provider, ['token'], async function lowSSignatures(ctx, next) {
    await next();
    if ((ctx as unknown as KoaContextWithOIDC).oidc?.route !== 'token' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return;
    for (const field of ['access_token', 'id_token']) {
      const token = body[field];
      if (typeof token === 'string') body[field] = withLowS(token);
    }
  });
}
