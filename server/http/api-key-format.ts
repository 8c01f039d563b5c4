// API key format: sk_<env>_<43 base62 characters: 256 random bits><6 base62 characters: checksum>
// The checksum is CRC32 of everything before it, in base62, so a secret scanner can tell a real
// key from a random string without calling us (docs/api-keys.md publishes the exact rule).
import { crc32 } from 'node:zlib';
import type { Environment } from '../../adapters/contract.ts';
import { SECRET_LENGTH, randomBase62, toBase62 } from '../secrets.ts';

export const CHECKSUM_LENGTH = 6;

/** For scanners: a whole key. */
export const API_KEY_PATTERN = /^sk_(test|live)_[0-9A-Za-z]{49}$/;
/** Finds keys inside longer text (URLs, logs). */
export const API_KEY_IN_TEXT = /sk_(?:test|live)_[0-9A-Za-z]{49}(?![0-9A-Za-z])/g;

export function checksum(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LENGTH);
}

export function generateApiKey(environment: Environment): string {
  const body = `sk_${environment}_${randomBase62(SECRET_LENGTH)}`;
  return body + checksum(body);
}

export interface ParsedKey {
  environment: Environment;
  /** What the key list shows: the prefix and the last four characters. */
  hint: { prefix: string; last4: string };
}

/**
 * The last key found well-formed: one request checks its key several times (the guard, or
 * introspection and oidc-provider's three token look-ups), and a client sends the same key again.
 */
let lastWellFormed = '';

/** Parses a presented key; undefined when the format or the checksum is wrong (no store lookup needed). */
export function parseApiKey(key: string): ParsedKey | undefined {
  if (key !== lastWellFormed) {
    if (!API_KEY_PATTERN.test(key)) return undefined;
    if (checksum(key.slice(0, -CHECKSUM_LENGTH)) !== key.slice(-CHECKSUM_LENGTH)) return undefined;
    lastWellFormed = key;
  }
  const environment = key.startsWith('sk_live_') ? 'live' : 'test';
  return { environment, hint: { prefix: `sk_${environment}_`, last4: key.slice(-4) } };
}
