// A mailed link's token leaves the address bar at once: the link (GET /portal/<page>?link=…) puts
// the token in a short-lived HttpOnly cookie for that page and redirects to the bare page, so the
// token is not in the browser's history, in a Referer, or in the URL of the form that uses it. The
// page then asks before using it (a mail scanner that follows the link uses nothing).
import type { Context } from 'koa';
import type { PortalSessions } from '../accounts/sessions.ts';
import { MAX_TOKEN_LENGTH } from '../accounts/links.ts';

/** Long enough to read the page and press the button; each link's own lifetime still applies. */
const COOKIE_SECONDS = 30 * 60;

export class LinkCookie {
  readonly #sessions: PortalSessions;
  readonly #name: string;
  readonly #path: string;

  /** `page`: the portal page the link opens, such as `/portal/verify`. */
  constructor(sessions: PortalSessions, name: string, page: string) {
    this.#sessions = sessions;
    this.#name = sessions.cookieName(name);
    this.#path = page;
  }

  #options(maxAge: number) {
    // Lax: the link is opened from a mail client, a cross-site navigation. Host-only, this page only
    // (a __Host- name needs Path=/, so on https the path is / and the name keeps it apart).
    const base = this.#sessions.cookieOptions();
    return { ...base, sameSite: 'lax' as const, path: base.secure ? '/' : this.#path, maxAge };
  }

  /**
   * On GET with ?link=: keeps it and redirects to the bare page. True when it did. (Not `token`: a
   * parameter of that name is refused everywhere as a credential in a URL.)
   */
  takeFromQuery(ctx: Context): boolean {
    const token = ctx.query.link;
    if (typeof token !== 'string') return false;
    if (token.length <= MAX_TOKEN_LENGTH) ctx.cookies.set(this.#name, token, this.#options(COOKIE_SECONDS * 1000));
    ctx.status = 303;
    ctx.redirect(this.#path);
    return true;
  }

  read(ctx: Context): string | undefined {
    return ctx.cookies.get(this.#name) || undefined;
  }

  clear(ctx: Context): void {
    ctx.cookies.set(this.#name, '', this.#options(0));
  }
}
