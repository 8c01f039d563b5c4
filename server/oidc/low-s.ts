// Latchkey's ES256 tokens leave in low-S form. OpenSSL (under jose, under oidc-provider) draws s on
// either side of n/2, and both forms verify; strict verifiers, the guard library among them, accept
// only the low one, so that a token has one spelling. The signature is rewritten, not re-made: the
// signed bytes are unchanged.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { lowS } from '../../packages/guard/jws.ts';

/** The compact JWS with its ES256 signature in low-S form; anything else as it is. */
export function withLowS(token: string): string {
  const parts = token.split('.');
  if (parts.length !== 3) return token;
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return token;
  }
  if (alg !== 'ES256') return token;
  return `${header}.${payload}.${lowS(Buffer.from(signature, 'base64url')).toString('base64url')}`;
}

/** Token endpoint answers carry their JWTs (access and ID tokens) in low-S form. */
export function lowSTokenAnswers(provider: Provider): void {
  provider.use(async function lowSSignatures(ctx, next) {
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
