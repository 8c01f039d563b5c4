// Compact JWS verification with node:crypto and KeyObjects imported once per key. jose's jwtVerify
// goes through WebCrypto (a CryptoKey import and a promise hop per call), which costs about as much
// again as the ES256 verification itself; this does the same structural checks (three base64url
// parts, a JSON-object header with a string `alg` on the allow-list, no `crit`, a key of the
// algorithm's type) and leaves the claims to access-token.ts.
import { constants, KeyObject, createPublicKey, verify, type webcrypto } from 'node:crypto';
import type { JWK } from 'jose';

/** Why a token was refused before its claims were looked at. */
export class JwsError extends Error {}

export interface JwsHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: unknown;
  readonly [name: string]: unknown;
}

/** The key for a token's header; throws (any error) when there is none. */
export type KeyResolver = (header: JwsHeader) => KeyObject | Promise<KeyObject>;

interface Algorithm {
  readonly digest: string | null;
  readonly kty: string;
  readonly crv?: string;
  /** Key types node reports for this algorithm's keys. */
  readonly keyTypes: readonly string[];
  readonly options?: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number };
}

/** The asymmetric algorithms a resource server may allow (ACCESS_TOKEN_ALGORITHMS is the list). */
const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  ES256: { digest: 'sha256', kty: 'EC', crv: 'P-256', keyTypes: ['ec'], options: { dsaEncoding: 'ieee-p1363' } },
  RS256: { digest: 'sha256', kty: 'RSA', keyTypes: ['rsa'] },
  PS256: { digest: 'sha256', kty: 'RSA', keyTypes: ['rsa', 'rsa-pss'], options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  EdDSA: { digest: null, kty: 'OKP', keyTypes: ['ed25519', 'ed448'] },
};

const BASE64URL = /^[A-Za-z0-9_-]+$/;

// ECDSA signatures are malleable: when (r, s) verifies, so does (r, n − s). Only the low-S form is
// accepted, so a token has one spelling (as Bitcoin's BIP 62 and libsecp256k1 require).
/** The order n of P-256's group, and n / 2 (rounded down), as 32 big-endian bytes. */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
const HALF_ORDER = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');

/** Whether an ES256 signature (r ‖ s, 64 bytes) is the high-S twin of a low-S one. */
export function highS(signature: Buffer): boolean {
  return signature.length === 64 && Buffer.compare(signature.subarray(32), HALF_ORDER) > 0;
}

/** An ES256 signature in its low-S form: s replaced by n − s when s is high (it verifies all the same). */
export function lowS(signature: Buffer): Buffer {
  if (!highS(signature)) return signature;
  const low = Buffer.from(signature);
  // n − s, byte by byte from the least significant, with a borrow (s < n, so none is left over).
  let borrow = 0;
  for (let i = 31; i >= 0; i -= 1) {
    const difference = P256_ORDER[i]! - signature[32 + i]! - borrow;
    borrow = difference < 0 ? 1 : 0;
    low[32 + i] = difference & 0xff;
  }
  return low;
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Headers seen recently, by their encoded text: a server's tokens share a handful of them. */
const headers = new Map<string, JwsHeader>();
const MAX_HEADERS = 100;

function parseHeader(encoded: string, algorithms: ReadonlySet<string>): JwsHeader {
  let header = headers.get(encoded);
  if (!header) {
    const parsed = decodeJsonObject(encoded, 'the header');
    if (typeof parsed.alg !== 'string' || !parsed.alg) throw new JwsError('the header has no alg');
    // No extension is understood here; jose too refuses a JWT with `crit` (it knows only b64, and a JWT may not use it).
    if (parsed.crit !== undefined) throw new JwsError('the header has a crit extension');
    if (parsed.kid !== undefined && typeof parsed.kid !== 'string') throw new JwsError('the header kid is not a string');
    header = parsed as unknown as JwsHeader;
    if (headers.size >= MAX_HEADERS) headers.delete(headers.keys().next().value!);
    headers.set(encoded, header);
  }
  if (!algorithms.has(header.alg) || !ALGORITHMS[header.alg]) throw new JwsError(`the algorithm ${header.alg} is not allowed`);
  return header;
}

function examineKey(key: KeyObject, algorithm: Algorithm): boolean {
  if (key.type !== 'public' || !algorithm.keyTypes.includes(key.asymmetricKeyType!)) return false;
  const details = key.asymmetricKeyDetails;
  if (algorithm.crv === 'P-256') return details?.namedCurve === 'prime256v1';
  if (algorithm.kty === 'RSA') return (details?.modulusLength ?? 0) >= 2048;
  return true;
}

/** Verdicts by key and algorithm: asymmetricKeyDetails builds a new object on every read. */
const fits = new WeakMap<KeyObject, Map<Algorithm, boolean>>();

function keyFits(key: KeyObject, algorithm: Algorithm): boolean {
  let verdicts = fits.get(key);
  if (!verdicts) fits.set(key, verdicts = new Map<Algorithm, boolean>());
  let verdict = verdicts.get(algorithm);
  if (verdict === undefined) verdicts.set(algorithm, verdict = examineKey(key, algorithm));
  return verdict;
}

function signatureValid(algorithm: Algorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(algorithm.digest, data, algorithm.options ? { key, ...algorithm.options } : key, signature);
  } catch {
    return false;
  }
}

/** The header and claims of a compact JWS whose signature verifies; throws JwsError otherwise. */
export async function verifyCompact(token: string, resolveKey: KeyResolver, algorithms: ReadonlySet<string>): Promise<{ header: JwsHeader; payload: Record<string, unknown> }> {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) throw new JwsError('not a compact JWS');
  const encodedHeader = token.slice(0, first);
  const encodedPayload = token.slice(first + 1, second);
  const encodedSignature = token.slice(second + 1);
  // Buffer's base64url decoder skips stray characters; refuse them so one token has one spelling.
  if (!BASE64URL.test(encodedHeader) || !BASE64URL.test(encodedPayload) || !BASE64URL.test(encodedSignature)) {
    throw new JwsError('a part is not base64url');
  }
  const header = parseHeader(encodedHeader, algorithms);
  const algorithm = ALGORITHMS[header.alg]!;
  let key: KeyObject;
  try {
    key = await resolveKey(header);
  } catch {
    throw new JwsError('no key of the issuer verifies this token');
  }
  if (!keyFits(key, algorithm)) throw new JwsError('the key does not fit the algorithm');
  const data = Buffer.from(token.slice(0, second), 'latin1');
  const signature = Buffer.from(encodedSignature, 'base64url');
  if (header.alg === 'ES256' && highS(signature)) throw new JwsError('the ES256 signature is not in low-S form');
  if (!signatureValid(algorithm, key, data, signature)) throw new JwsError('the signature does not verify');
  return { header, payload: decodeJsonObject(encodedPayload, 'the claims set') };
}

function usable(jwk: JWK, alg: string, kid: string | undefined): boolean {
  const algorithm = ALGORITHMS[alg];
  if (!algorithm || jwk.kty !== algorithm.kty) return false;
  if (algorithm.crv && jwk.crv !== algorithm.crv) return false;
  if (kid !== undefined && jwk.kid !== kid) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return jwk.use === undefined || jwk.use === 'sig';
}

/**
 * A resolver over a fixed set of public JWKs, imported once each: the key whose kid (when the
 * token names one), type, curve, alg and use fit, as jose's local JWKS selects it.
 */
export function localKeySet(jwks: { keys: readonly JWK[] }): KeyResolver {
  const imported = jwks.keys.map((jwk) => ({ jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) }));
  const chosen = new Map<string, KeyObject>();
  return (header) => {
    const lookup = `${header.alg} ${header.kid ?? ''}`;
    const cached = chosen.get(lookup);
    if (cached) return cached;
    const candidates = imported.filter(({ jwk }) => usable(jwk, header.alg, header.kid));
    if (candidates.length !== 1) throw new JwsError(candidates.length ? 'several keys match and the token names none' : 'no key matches');
    chosen.set(lookup, candidates[0]!.key);
    return candidates[0]!.key;
  };
}

/**
 * A resolver over a jose key getter (createRemoteJWKSet: it fetches, caches and refreshes the
 * issuer's JWKS); its CryptoKeys are converted to KeyObjects once each.
 */
export function joseKeySet(getKey: (header: JwsHeader) => Promise<unknown>): KeyResolver {
  const converted = new WeakMap<object, KeyObject>();
  return async (header) => {
    const key = await getKey(header) as webcrypto.CryptoKey | KeyObject;
    if (key instanceof KeyObject) return key;
    let keyObject = converted.get(key);
    if (!keyObject) converted.set(key, keyObject = KeyObject.from(key));
    return keyObject;
  };
}
