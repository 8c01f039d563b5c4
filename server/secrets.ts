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

/** One pepper of LATCHKEY_PEPPER (`id:secret`, newest first): its id and its bytes. */
export interface PepperVersion {
  readonly id: string;
  readonly key: Buffer;
}

/** A pepper id: letters, digits, `-` and `_`; `1` is the id of a pepper given without one. */
export const PEPPER_ID = /^[A-Za-z0-9_-]{1,16}$/;
const FIRST_PEPPER = '1';

/**
 * The pepper in force, and the older ones that still verify (versioned peppers, newest first). A
 * hash made under pepper `2` is stored as `2:<hmac>`; one under pepper `1`, the pepper of a
 * deployment that never rotated, as the bare HMAC, as it always was.
 */
export class Pepper {
  // KeyObjects, made once: createHmac with a raw Buffer rebuilds one on every call (about 6x slower).
  #versions: readonly { readonly id: string; readonly key: KeyObject }[];

  constructor(key: Buffer | readonly PepperVersion[]) {
    const versions = Buffer.isBuffer(key) ? [{ id: FIRST_PEPPER, key }] : key;
    if (versions.length === 0) throw new Error('a pepper is needed');
    for (const version of versions) {
      if (version.key.length < 32) throw new Error(`pepper ${version.id} must be at least 32 bytes`);
      if (!PEPPER_ID.test(version.id)) throw new Error(`"${version.id}" is not a pepper id (letters, digits, - and _)`);
    }
    if (new Set(versions.map((v) => v.id)).size !== versions.length) throw new Error('two peppers have the same id');
    this.#versions = versions.map(({ id, key: bytes }) => ({ id, key: createSecretKey(bytes) }));
  }

  /**
   * Takes another set's peppers in place (a generated pepper rotated by `latchkey pepper rotate`):
   * every holder of this object hashes and opens with them from now on.
   */
  adopt(other: Pepper): void {
    this.#versions = other.#versions;
  }

  /** The id new hashes are made under. */
  get currentId(): string {
    return this.#versions[0]!.id;
  }

  /** Every pepper's id, the current first. */
  get ids(): string[] {
    return this.#versions.map((v) => v.id);
  }

  #version(id: string) {
    return this.#versions.find((v) => v.id === id);
  }

  #hashUnder(version: { id: string; key: KeyObject }, secret: string): string {
    const hmac = createHmac('sha256', version.key).update(secret).digest('base64url');
    return version.id === FIRST_PEPPER ? hmac : `${version.id}:${hmac}`;
  }

  /** HMAC-SHA256 of the secret under the current pepper, as stored. This is all the store ever sees. */
  hash(secret: string): string {
    return this.#hashUnder(this.#versions[0]!, secret);
  }

  /** The secret's stored form under each pepper, the current first: to find it by hash whichever made it. */
  hashes(secret: string): string[] {
    return this.#versions.map((version) => this.#hashUnder(version, secret));
  }

  /** The same, one at a time: a lookup that finds it under the current pepper makes no other HMAC. */
  *eachHash(secret: string): Generator<string> {
    for (const version of this.#versions) yield this.#hashUnder(version, secret);
  }

  /** The id of the pepper a stored hash was made under. */
  static idOf(storedHash: string): string {
    const colon = storedHash.indexOf(':');
    return colon < 0 ? FIRST_PEPPER : storedHash.slice(0, colon);
  }

  /** Whether a stored hash was made under the current pepper (else: rehash it on its next use). */
  isCurrent(storedHash: string): boolean {
    return Pepper.idOf(storedHash) === this.currentId;
  }

  /** Constant-time comparison of a presented secret with a stored hash, under the pepper that made it. */
  matches(secret: string, storedHash: string): boolean {
    const version = this.#version(Pepper.idOf(storedHash));
    if (!version) return false;
    const actual = Buffer.from(this.#hashUnder(version, secret));
    const expected = Buffer.from(storedHash);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** A key for another purpose under the current pepper, derived so that it never equals the pepper itself. */
  derive(purpose: string): Buffer {
    return this.derivedKeys(purpose)[0]!;
  }

  /** That key under each pepper, the current first: what was sealed under an older pepper still opens. */
  derivedKeys(purpose: string): Buffer[] {
    return this.#versions.map((version) => createHmac('sha256', version.key).update(`latchkey:${purpose}`).digest());
  }

  /**
   * A form's token for `data` (a nonce, an interaction id), under the current pepper. Made per request,
   * never kept: an instance that takes a new pepper in place makes the tokens its peers check.
   */
  tag(purpose: string, data: string): string {
    return createHmac('sha256', this.derive(purpose)).update(data).digest('base64url');
  }

  /** Whether a token is `data`'s under any listed pepper: a form opened before a rotation, or on a peer, is taken. */
  tagMatches(purpose: string, data: string, presented: string): boolean {
    const actual = Buffer.from(presented);
    return this.derivedKeys(purpose).some((key) => {
      const expected = Buffer.from(createHmac('sha256', key).update(data).digest('base64url'));
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    });
  }
}

/** What `find` finds by the secret's hash under any pepper (the current one first), and that hash. */
export async function findByAnyPepper<T>(pepper: Pepper, secret: string, find: (hash: string) => Promise<T | undefined>): Promise<{ found: T; hash: string } | undefined> {
  for (const hash of pepper.eachHash(secret)) {
    const found = await find(hash);
    if (found !== undefined) return { found, hash };
  }
  return undefined;
}

/** Runs `open` with each key until one opens the value; throws the first failure when none does. */
export function openWithAny<T>(keys: readonly Buffer[], open: (key: Buffer) => T): T {
  let first: unknown;
  for (const key of keys) {
    try {
      return open(key);
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
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
