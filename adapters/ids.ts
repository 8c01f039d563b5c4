// Random base62 strings and ids that sort by creation time (creation milliseconds in base62, then 12
// random characters). Here because the stores make ids of their own (webhook events, deliveries, audit
// events); server/secrets.ts re-exports them.
import { randomBytes } from 'node:crypto';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters drawn uniformly from base62 (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A non-negative integer in base62, left-padded with zeros to `width`. */
export function toBase62(value: number, width: number): string {
  let out = '';
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = BASE62[rest % 62]! + out;
  return out.padStart(width, '0');
}

let lastMillisecond = 0;
let sequence = 0;

/**
 * `prefix_` + creation milliseconds (8 base62 characters) + a sequence within that millisecond in
 * this process (3) + 9 random characters: ids made one after another here sort in that order, even
 * within one millisecond (events of one change, delivered in order of creation).
 */
export function sortableId(prefix: string): string {
  const now = Date.now();
  if (now === lastMillisecond) sequence += 1;
  else {
    lastMillisecond = now;
    sequence = 0;
  }
  return `${prefix}_${toBase62(now, 8)}${toBase62(sequence % 62 ** 3, 3)}${randomBase62(9)}`;
}
