// Two-factor authentication with TOTP (RFC 6238, otplib): enrolment shows a QR code (an SVG drawn
// on the server: img-src 'self' blocks data: URLs) and the secret as text, and is confirmed by a
// code; ten single-use recovery codes are shown once and kept as HMACs. The TOTP secret is kept
// sealed under a key derived from the pepper, bound to the user. A code is accepted once: its time
// step must be later than the last one accepted, and a counter in the store makes two requests with
// the same code race to one winner.
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Store, TotpState, User } from '../../adapters/contract.ts';
import { limitKey } from '../limits/failures.ts';
import { openText, openWithAny, randomBase62, sealText, type Pepper } from '../secrets.ts';

export const RECOVERY_CODES = 10;
/** One step either side of now: a phone clock off by up to 30 s still works. */
const TOLERANCE_SECONDS = 30;

export interface Enrolment {
  readonly secret: string;
  readonly uri: string;
  /** An inline <svg> of the URI, to put in the page as it is. */
  readonly svg: string;
}

export async function newEnrolment(email: string, issuerName: string): Promise<Enrolment> {
  const secret = generateSecret();
  const uri = generateURI({ issuer: issuerName, label: email, secret });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, svg };
}

const context = (userId: string) => `totp:${userId}`;
const totpKey = (pepper: Pepper) => pepper.derive('totp-secrets');

export function sealTotpSecret(pepper: Pepper, userId: string, secret: string): string {
  return sealText(totpKey(pepper), secret, context(userId));
}

/** A user's TOTP secret sealed again under the current pepper (`latchkey pepper rotate`); undefined without two-factor. */
export function resealTotpSecret(pepper: Pepper, user: User): string | undefined {
  const secret = openTotpSecret(pepper, user);
  return secret === undefined ? undefined : sealTotpSecret(pepper, user.id, secret);
}

function openTotpSecret(pepper: Pepper, user: User): string | undefined {
  if (!user.totp) return undefined;
  // Sealed under whichever pepper was current at enrolment.
  return openWithAny(pepper.derivedKeys('totp-secrets'), (key) => openText(key, user.totp!.sealedSecret, context(user.id)));
}

/** Ten codes like `k7Qm-2xPd-9vTa`: shown once; the store keeps their HMACs. */
export function newRecoveryCodes(pepper: Pepper): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODES }, () => randomBase62(12).replace(/(.{4})(.{4})(.{4})/, '$1-$2-$3'));
  return { codes, hashes: codes.map((code) => recoveryHash(pepper, code)) };
}

const recoveryHash = (pepper: Pepper, code: string) => pepper.hash(`recovery:${code.replace(/[\s-]/g, '')}`);

/** The time step of a valid TOTP verification (otplib's result type also covers HOTP, which has none). */
function stepOf(result: Awaited<ReturnType<typeof verify>>): number | undefined {
  return result.valid && 'timeStep' in result && typeof result.timeStep === 'number' ? result.timeStep : undefined;
}

/** Whether `code` is the current TOTP code of `secret` (used at enrolment, before anything is stored). */
export async function totpMatches(secret: string, code: string): Promise<number | undefined> {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  return stepOf(await verify({ secret, token, epochTolerance: TOLERANCE_SECONDS }));
}

export type SecondFactor =
  | { readonly ok: true; readonly method: 'otp' | 'recovery'; readonly user: User }
  | { readonly ok: false };

/**
 * Checks a TOTP or recovery code for a user with two-factor on, and records its use (a TOTP step, or
 * the recovery code removed) so it is never accepted again.
 */
export async function checkSecondFactor(store: Store, pepper: Pepper, user: User, code: string): Promise<SecondFactor> {
  const secret = openTotpSecret(pepper, user);
  if (!secret || !user.totp) return { ok: false };
  const compact = code.replace(/[\s-]/g, '');
  if (/^\d{6}$/.test(compact)) {
    const step = stepOf(await verify({ secret, token: compact, epochTolerance: TOLERANCE_SECONDS, afterTimeStep: user.totp.lastStep }));
    if (step === undefined) return { ok: false };
    // Two requests with one code: the counter lets one through.
    const use = await store.hitCounter(limitKey('totp-step', user.id, String(step)), 4 * TOLERANCE_SECONDS);
    if (use.count !== 1) return { ok: false };
    const totp: TotpState = { ...user.totp, lastStep: step };
    const updated = await store.updateUser(user.id, { totp });
    return updated ? { ok: true, method: 'otp', user: updated } : { ok: false };
  }
  // Under whichever pepper the codes were made (they were shown once, before a rotation perhaps).
  const hash = pepper.hashes(`recovery:${compact.replace(/[\s-]/g, '')}`).find((h) => user.recoveryCodes.includes(h));
  if (!hash) return { ok: false };
  const use = await store.hitCounter(limitKey('recovery-code', user.id, hash), 24 * 3600);
  if (use.count !== 1) return { ok: false };
  const updated = await store.updateUser(user.id, { recoveryCodes: user.recoveryCodes.filter((h) => h !== hash) });
  return updated ? { ok: true, method: 'recovery', user: updated } : { ok: false };
}
