// Secrets we generate (client secrets, API keys) carry 256 bits of entropy, so a keyed fast hash
// (HMAC-SHA256 under a server-side pepper) is as safe as a password KDF and far cheaper per request.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { randomBase62, sortableId } from '../adapters/ids.ts';

// Random and sortable ids live with the stores, which make ids of their own too.
export { BASE62, randomBase62, toBase62 } from '../adapters/ids.ts';
/** An id that sorts by creation time (milliseconds, base62), then 12 random characters. */
export const generateSortableId = sortableId;

/** 43 base62 characters = 256 bits. */
export const SECRET_LENGTH = 43;

export function generateSecret(): string {
  return randomBase62(SECRET_LENGTH);
}

export function generateId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

export class Pepper {
  // A KeyObject, made once: createHmac with a raw Buffer rebuilds one on every call (about 6x slower).
  readonly #key: KeyObject;
  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('the pepper must be at least 32 bytes');
    this.#key = createSecretKey(key);
  }

  /** HMAC-SHA256 of the secret, base64url. This is all the store ever sees. */
  hash(secret: string): string {
    return createHmac('sha256', this.#key).update(secret).digest('base64url');
  }

  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, storedHash: string): boolean {
    const actual = Buffer.from(this.hash(secret));
    const expected = Buffer.from(storedHash);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** A key for another purpose, derived so that it never equals the pepper itself. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.#key).update(`latchkey:${purpose}`).digest();
  }
}

/**
 * Seals text under a 32-byte key with AES-256-GCM, bound to `context` (what it is and whose): a
 * sealed value moved to another record does not open. `v1.<iv>.<ciphertext>.<tag>`, base64url.
 */
export function sealText(key: Buffer, text: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
  const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return ['v1', iv, sealed, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** Opens what sealText sealed under the same key and context; throws when it was altered or moved. */
export function openText(key: Buffer, value: string, context: string): string {
  const [version, iv, sealed, tag] = value.split('.');
  if (version !== 'v1' || !iv || sealed === undefined || !tag) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
}
