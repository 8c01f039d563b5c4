// Finds API keys in text that may have been encoded or broken up on its way (a URL): used by the
// URL check that refuses and revokes them, and by everything that writes a URL out (the request
// log, error bodies). A key is found at any position, whatever follows it, with its prefix in any
// case, after percent-decoding up to three times, and with separators (+, NUL, whitespace, any
// punctuation but "_") taken out. The checksum (server/api-keys/format.ts) tells a real key from
// the noise that taking characters out can produce.
import { parseApiKey } from '../api-keys/format.ts';

/** Deep enough for URLs encoded by a few layers of clients and proxies; bounded so a crafted URL costs little. */
const MAX_DECODE_ROUNDS = 3;

/** A key's prefix in any case and the 49 characters a key has after it; a lookahead, so matches may overlap. */
const KEY_AT = /(?=(sk_(?:test|live)_[0-9A-Za-z]{49}))/gi;
const PREFIX_LENGTH = 'sk_test_'.length;
/** Decoding and compacting only shorten text, so anything shorter cannot hold a key (most paths). */
const KEY_LENGTH = PREFIX_LENGTH + 49;

/** Decodes every %XX, leaving anything malformed as it is: unlike decodeURIComponent, it never throws. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The text as sent and each distinct percent-decoding of it. */
export function decodings(text: string): string[] {
  const forms = [text];
  for (let round = 0; round < MAX_DECODE_ROUNDS; round += 1) {
    const next = percentDecode(forms.at(-1)!);
    if (next === forms.at(-1)) break;
    forms.push(next);
  }
  return forms;
}

/** Only the characters a key is made of: separators and punctuation can no longer split one. */
function compact(text: string): string {
  return text.replace(/[^0-9A-Za-z_]+/g, '');
}

/** Everything in key format, with the prefix in lower case as keys are issued. */
function keyShaped(text: string): string[] {
  return [...text.matchAll(KEY_AT)].map((m) => m[1]!.slice(0, PREFIX_LENGTH).toLowerCase() + m[1]!.slice(PREFIX_LENGTH));
}

export interface KeyScan {
  /** Keys whose checksum verifies, in the form they were issued: these are revoked. */
  readonly keys: string[];
  /** Something in key format as it stands (not pieced together), valid or not: refused all the same. */
  readonly keyShaped: boolean;
}

export function scanForKeys(text: string): KeyScan {
  if (text.length < KEY_LENGTH) return { keys: [], keyShaped: false };
  const keys = new Set<string>();
  let shaped = false;
  for (const form of decodings(text)) {
    if (keyShaped(form).length > 0) shaped = true;
    for (const candidate of keyShaped(compact(form))) if (parseApiKey(candidate)) keys.add(candidate);
  }
  return { keys: [...keys], keyShaped: shaped || keys.size > 0 };
}

/** Whether the text might hold a key in any form, checksum or not: for redaction, where too much is harmless. */
function mayHoldKey(text: string): boolean {
  return text.length >= KEY_LENGTH && decodings(text).some((form) => keyShaped(compact(form)).length > 0);
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
