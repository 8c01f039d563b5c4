// private_key_jwt: an assertion proves one request, so it must say when it was made and be valid
// only briefly, and it must be meant for us. oidc-provider checks signature, iss, jti and that
// `aud` includes one of our URLs; an array may hold anything else beside it, and `exp` may be far
// off. We require `iat`, `exp - iat` at most LIFETIMES.clientAssertion, and every `aud` ours.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';

type Claims = Record<string, unknown>;

/** Clocks disagree a little; an assertion made by a client whose clock runs this far ahead still counts. */
const CLOCK_SKEW_SECONDS = 60;

export function checkClientAssertion(ctx: KoaContextWithOIDC, claims: Claims): void {
  const { iat, exp, aud } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw new errors.InvalidClientAuth('the client_assertion must carry iat and exp');
  }
  if (exp - iat > LIFETIMES.clientAssertion || exp <= iat) {
    throw new errors.InvalidClientAuth(`a client_assertion may be valid for at most ${humanDuration(LIFETIMES.clientAssertion)} (exp - iat)`);
  }
  // Made now, not dated ahead: otherwise a short assertion could be kept and used much later.
  if (iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS) {
    throw new errors.InvalidClientAuth('the client_assertion iat is in the future; check the client clock');
  }
  const ours = ctx.oidc.clientJwtAuthExpectedAudience();
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || !ours.has(a))) {
    throw new errors.InvalidClientAuth('the client_assertion aud must be the issuer or the token endpoint, and nothing else');
  }
}
