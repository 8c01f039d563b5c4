// Forms shown before a session exists (sign-in, sign-up, forgot and reset password, confirming an
// address): the cookie holds a random nonce and the form its HMAC under a server key, so a cookie
// and field pair an attacker makes up (a planted cookie, say) does not pass.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import type { PortalSessions } from '../accounts/sessions.ts';
import { readForm } from '../http/form.ts';
import type { Pepper } from '../secrets.ts';

const NONCE_COOKIE = 'latchkey_login_nonce';
const PURPOSE = 'portal-login-csrf';

export class GuestForms {
  readonly #pepper: Pepper;
  readonly #sessions: PortalSessions;
  readonly #cookie: string;

  constructor(pepper: Pepper, sessions: PortalSessions) {
    this.#pepper = pepper;
    this.#sessions = sessions;
    this.#cookie = sessions.cookieName(NONCE_COOKIE);
  }

  /** A new nonce in the cookie; the token for the page's form. */
  newToken(ctx: Context): string {
    const nonce = randomBytes(32).toString('base64url');
    ctx.cookies.set(this.#cookie, nonce, this.#sessions.cookieOptions());
    return this.#pepper.tag(PURPOSE, nonce);
  }

  /** The form's fields, once its token matches the cookie's nonce (csrf_failed otherwise). */
  async read(ctx: Context, fields: string[]): Promise<Record<string, string>> {
    const form = await readForm(ctx, ['_csrf', ...fields]);
    const nonce = ctx.cookies.get(this.#cookie);
    if (!nonce || !this.#pepper.tagMatches(PURPOSE, nonce, form._csrf!)) throw new LatchkeyError('csrf_failed');
    return form;
  }

  /** Signed in now: the nonce has served. */
  clear(ctx: Context): void {
    ctx.cookies.set(this.#cookie, '', { ...this.#sessions.cookieOptions(), maxAge: 0 });
  }
}

