// Rules for free text every surface shares (portal forms, the API, the CLI), in one place: a name is
// one visible line; an email is normalised before it is compared or stored, and refused when it
// hides characters a reader cannot see. Errors name their field (ValidationError).
import { domainToASCII } from 'node:url';
import { ValidationError } from '../../config/errors.ts';

const MAX_NAME = 200;
const MAX_EMAIL = 254;

/** Control and invisible formatting characters, and line separators: a name is one visible line. */
const NOT_PLAIN_LINE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** Whether `text` holds what a reader cannot see: control or formatting characters, or a line break. */
export function hasHiddenCharacters(text: string): boolean {
  return NOT_PLAIN_LINE.test(text);
}

/** What an address may still hold once normalised: no space, one @, a dot in the domain. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An account's or a client's name: trimmed, 1 to 200 characters, one line of visible text. */
export function checkName(value: string | undefined, field = 'name'): string {
  const name = (value ?? '').trim();
  if (!name || name.length > MAX_NAME) throw new ValidationError(field, `${field} must be 1 to ${MAX_NAME} characters`);
  if (NOT_PLAIN_LINE.test(name)) throw new ValidationError(field, `${field} must be one line of visible text`);
  return name;
}

/**
 * The one form of an address: NFKC (fullwidth and compatibility forms fold to plain ones), lower
 * case, an internationalised domain in its ASCII (punycode) form. Undefined when it is no address,
 * or holds control or invisible characters (zero-width, bidirectional controls, NUL): a lookalike.
 */
export function normaliseEmail(value: string): string | undefined {
  const folded = value.normalize('NFKC').trim();
  if (NOT_PLAIN_LINE.test(folded)) return undefined;
  const at = folded.lastIndexOf('@');
  if (at < 1) return undefined;
  // A trailing dot names the same domain (example.com. is example.com).
  const domain = domainToASCII(folded.slice(at + 1).toLowerCase().replace(/\.$/, ''));
  if (!domain) return undefined;
  const email = `${folded.slice(0, at).toLowerCase()}@${domain}`;
  return EMAIL.test(email) && email.length <= MAX_EMAIL ? email : undefined;
}

/**
 * Addresses no one can receive mail at (RFC 2606's `.invalid`), which Latchkey uses for its own
 * identities (the operator): no sign-up may claim one.
 */
export function isReservedEmail(email: string): boolean {
  return email.endsWith('.invalid');
}

/** A sign-up's email, normalised; a ValidationError on the `email` field otherwise. */
export function checkEmail(value: string): string {
  const email = normaliseEmail(value);
  if (!email) throw new ValidationError('email', 'email must be an email address, without hidden or control characters');
  if (isReservedEmail(email)) throw new ValidationError('email', 'this address is reserved and cannot be used');
  return email;
}
