// HTML rendering: EJS views, and the error page oidc-provider shows when it cannot redirect.
import { join } from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';

const VIEWS = join(import.meta.dirname, '..', '..', 'views');

// No scripts at all; styles from our origin only; never framed (clickjacking on consent).
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export async function renderView(ctx: Context, view: string, data: Record<string, unknown>, status = 200): Promise<void> {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('Cache-Control', 'no-store');
  // Templates are compiled once per process (ejs caches by file name); restart to see edits.
  ctx.body = await ejs.renderFile(join(VIEWS, `${view}.ejs`), data, { async: false, cache: true });
}

/** What went wrong, in a sentence for the person in front of the page (the app's maker gets the details). */
const HUMAN_WORDS: Readonly<Record<string, (app: string) => string>> = {
  invalid_redirect_uri: (app) => `${app} asked to send you back to an address it has not registered, so Latchkey stopped here to keep your account safe.`,
  invalid_client: (app) => `${app === 'The app' ? 'Latchkey does not know the app that sent you here' : `${app} cannot sign you in here right now`}, so nothing was shared.`,
  temporarily_unavailable: (app) => `${app} cannot get new sign-ins right now. Try again later.`,
  access_denied: () => 'The request was cancelled: nothing was shared.',
};

/** Where "Go back" leads: the page that sent the browser here, when it says so and is a web page. */
function backLinkOf(ctx: Context): string | undefined {
  const referrer = URL.parse(ctx.get('referer'));
  return referrer && (referrer.protocol === 'https:' || referrer.protocol === 'http:') ? referrer.href : undefined;
}

/**
 * oidc-provider's HTML error page (for errors it must not redirect, such as a bad redirect_uri): one
 * sentence for the person, naming the app when it is known; the technical details, for the app's
 * maker, folded below.
 */
export async function renderOidcError(ctx: KoaContextWithOIDC, out: ErrorOut): Promise<void> {
  const name = ctx.oidc?.client?.clientName;
  const app = typeof name === 'string' && name ? `“${name}”` : 'The app';
  const words = HUMAN_WORDS[out.error]?.(app) ?? `${app} sent a request Latchkey cannot accept, so nothing was shared.`;
  await renderView(ctx, 'oidc-error', {
    words, code: out.error, description: out.error_description ?? '', back: backLinkOf(ctx),
  }, ctx.status);
}

/** RP-Initiated Logout's confirmation page: oidc-provider's form (with its CSRF field), our buttons. */
export async function renderLogout(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  await renderView(ctx, 'logout', { form });
}

/** After RP-Initiated Logout with no redirect back to an app. */
export async function renderLoggedOut(ctx: KoaContextWithOIDC): Promise<void> {
  await renderView(ctx, 'logged-out', {});
}
