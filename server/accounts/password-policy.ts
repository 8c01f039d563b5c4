// Password rules after NIST SP 800-63B: a minimum length, and no password that is blank, very
// common, easy to guess, or made from the account's own details (email, name) or this service's
// name. No composition rules. zxcvbn-ts estimates how guessable a password is, offline, with those
// details as context. Messages say what is wrong and never repeat the password.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';

export const MAX_PASSWORD_LENGTH = 1024;

/** zxcvbn's score 3, "safely unguessable": about 10^8 guesses or more (and sign-ins are rate limited). */
const MIN_SCORE = 3;
const SERVICE_NAME = 'latchkey';

let estimator: ZxcvbnFactory | undefined;

/** Loaded on first use, not at boot: the dictionaries take about half a second. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
    // Checking time grows fast with length; what lies past this is strong enough anyway.
    maxLength: 128,
  });
  return estimator;
}

/** Letters and digits only, lower-cased: "Acme Corp" and "acme-corp" are the same word here. */
const simplify = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** The text and its words (split at spaces and punctuation), each simplified, three characters or more. */
function wordsOf(text: string): string[] {
  return [text, ...text.split(/[^\p{L}\p{N}]+/u)].map(simplify).filter((word) => word.length >= 3);
}

/** True when more than half of the password is made of these words (in any case, without separators). */
function madeFrom(password: string, words: string[]): boolean {
  const whole = simplify(password);
  let rest = whole;
  for (const word of [...words].sort((a, b) => b.length - a.length)) rest = rest.split(word).join('');
  return rest.length * 2 < whole.length;
}

function sentence(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1).replace(/\.$/, '');
}

export interface PasswordContext {
  readonly email: string;
  readonly accountName: string;
}

/** What is wrong with this password, as a message; undefined when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext): string | undefined {
  if (/^\s+$/.test(password)) return 'password must not be only spaces';
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    return `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`;
  }
  const localPart = context.email.split('@')[0] ?? '';
  const emailWords = [simplify(context.email), ...wordsOf(localPart)];
  const nameWords = wordsOf(context.accountName);
  if (madeFrom(password, emailWords)) return 'password must not be based on your email address';
  if (madeFrom(password, nameWords)) return 'password must not be based on the account name';
  if (madeFrom(password, [SERVICE_NAME])) return 'password must not be based on the name of this service';

  const result = zxcvbn().check(password, [...emailWords, ...nameWords, SERVICE_NAME]);
  if (result.score >= MIN_SCORE) return undefined;
  const why = result.feedback.warning ? sentence(result.feedback.warning) : 'it would be found after few guesses';
  return `password is too easy to guess: ${why}. Use a longer phrase of unrelated words`;
}
