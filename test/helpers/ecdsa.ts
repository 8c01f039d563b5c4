// ES256 signatures' two forms, written out here independently of packages/guard/jws.ts: when
// (r, s) verifies, so does (r, n − s). Latchkey hands out the low form only.
export { withLowS } from '../../server/oidc/low-s.ts';

/** The order n of P-256's group. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The s of a compact ES256 JWS's signature. */
export function sOf(token: string): bigint {
  return BigInt(`0x${Buffer.from(token.split('.')[2]!, 'base64url').subarray(32).toString('hex')}`);
}

export const isLowS = (token: string): boolean => sOf(token) <= P256_ORDER >> 1n;

/** The same token with s replaced by n − s: its signature still verifies mathematically. */
export function highSTwin(token: string): string {
  if (!isLowS(token)) return token;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const r = Buffer.from(signature, 'base64url').subarray(0, 32);
  const s = Buffer.from((P256_ORDER - sOf(token)).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([r, s]).toString('base64url')}`;
}
