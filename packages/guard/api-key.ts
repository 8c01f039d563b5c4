// API keys as a resource server sees them: checked for format and checksum locally (a random
// string never costs an introspection), then introspected. The rule is the published one
// (docs/api-keys.md): sk_<env>_ + 43 base62 characters + a 6-character base62 CRC32 of the rest.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const API_KEY = /^sk_(test|live)_[0-9A-Za-z]{49}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_LENGTH = 6;

function base62(value: number, width: number): string {
  let out = '';
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = BASE62[rest % 62]! + out;
  return out.padStart(width, '0');
}

/** Whether a presented key has the format and a matching checksum. */
export function wellFormedApiKey(key: string): boolean {
  if (!API_KEY.test(key)) return false;
  const body = key.slice(0, -CHECKSUM_LENGTH);
  return base62(crc32(body), CHECKSUM_LENGTH) === key.slice(-CHECKSUM_LENGTH);
}

/** What the cache is keyed by: a digest, so a heap dump of the resource server holds no key. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
