// Finds API keys in text that may have been encoded or broken up on its way (a URL): used by the
// URL check that refuses and revokes them, and by everything that writes a URL out (the request
// log, error bodies). A key is found at any position, whatever follows it, with its prefix in any
// case, however many times it was percent-encoded, and pieced together again when separators (+,
// NUL, whitespace, any punctuation, and "_" after the sk_<env>_ prefix) break it up. The checksum
// (server/http/api-key-format.ts) tells a real key from the noise that taking characters out can produce.
import { parseApiKey } from './api-key-format.ts';

/**
 * Percent-decoding is repeated until the text stops changing. Each round shortens the text, so a
 * URL can only be encoded so many times; the bound keeps a crafted one cheap, and text still
 * changing after it is treated as if it held a key.
 */
const MAX_DECODE_ROUNDS = 16;

/** A key's prefix in any case and the 49 characters a key has after it; a lookahead, so matches may overlap. */
const KEY_AT = /(?=(sk_(?:test|live)_[0-9A-Za-z]{49}))/gi;
/** The prefix alone, in compacted text, where "_" after it may be a separator. */
const PREFIX_AT = /sk_(?:test|live)_/gi;
const PREFIX_LENGTH = 'sk_test_'.length;
const BODY_LENGTH = 49;
/** Decoding and compacting only shorten text, so anything shorter cannot hold a key (most paths). */
const KEY_LENGTH = PREFIX_LENGTH + BODY_LENGTH;

/** Decodes every %XX, leaving anything malformed as it is: unlike decodeURIComponent, it never throws. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The text as sent and each distinct percent-decoding of it, the last one fully decoded unless `settled` is false. */
function decode(text: string): { forms: string[]; settled: boolean } {
  const forms = [text];
  for (let round = 0; round < MAX_DECODE_ROUNDS; round += 1) {
    const next = percentDecode(forms.at(-1)!);
    if (next === forms.at(-1)) return { forms, settled: true };
    forms.push(next);
  }
  return { forms, settled: percentDecode(forms.at(-1)!) === forms.at(-1) };
}

/** The text as sent and each distinct percent-decoding of it. */
export function decodings(text: string): string[] {
  return decode(text).forms;
}

const lowerPrefix = (key: string) => key.slice(0, PREFIX_LENGTH).toLowerCase() + key.slice(PREFIX_LENGTH);

/** Everything in key format as it stands, with the prefix in lower case as keys are issued. */
function keyShaped(text: string): string[] {
  return [...text.matchAll(KEY_AT)].map((m) => lowerPrefix(m[1]!));
}

/**
 * Keys pieced together: only the characters a key is made of are kept, and after each prefix the
 * "_" too are dropped, so no separator can split one. Lengths only, no checksum.
 */
function piecedTogether(text: string): string[] {
  const compact = text.replace(/[^0-9A-Za-z_]+/g, '').replace(/_+/g, '_');
  return [...compact.matchAll(PREFIX_AT)].flatMap((m) => {
    const start = m.index + PREFIX_LENGTH;
    // With runs of "_" made one, a body broken up anywhere spans at most twice its length.
    const body = compact.slice(start, start + 2 * BODY_LENGTH).replace(/_/g, '').slice(0, BODY_LENGTH);
    return body.length === BODY_LENGTH ? [lowerPrefix(m[0]) + body] : [];
  });
}

export interface KeyScan {
  /** Keys whose checksum verifies, in the form they were issued: these are revoked. */
  readonly keys: string[];
  /**
   * Something in key format as it stands (not pieced together), valid or not, or text still being
   * decoded after the bound: refused all the same.
   */
  readonly keyShaped: boolean;
}

export function scanForKeys(text: string): KeyScan {
  if (text.length < KEY_LENGTH) return { keys: [], keyShaped: false };
  const keys = new Set<string>();
  const { forms, settled } = decode(text);
  let shaped = !settled;
  for (const form of forms) {
    if (keyShaped(form).length > 0) shaped = true;
    for (const candidate of piecedTogether(form)) if (parseApiKey(candidate)) keys.add(candidate);
  }
  return { keys: [...keys], keyShaped: shaped || keys.size > 0 };
}

/**
 * Whether the text might hold a key in any form, checksum or not: for redaction, where too much is
 * harmless. Text that is still being decoded after the bound counts as holding one.
 */
function mayHoldKey(text: string): boolean {
  if (text.length < KEY_LENGTH) return false;
  const { forms, settled } = decode(text);
  return !settled || forms.some((form) => piecedTogether(form).length > 0);
}

const REDACTED = '[redacted]';

/**
 * The text with every part that might hold a key replaced: each piece between URL delimiters on
 * its own, or the whole text when a key spans delimiters.
 */
export function redactKeys(text: string): string {
  if (!mayHoldKey(text)) return text;
  const redacted = text.split(/([/?&=;#])/).map((piece) => (mayHoldKey(piece) ? REDACTED : piece)).join('');
  return mayHoldKey(redacted) ? REDACTED : redacted;
}
