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

/** oidc-provider's HTML error page (for errors it must not redirect, such as a bad redirect_uri). */
export async function renderOidcError(ctx: KoaContextWithOIDC, out: ErrorOut): Promise<void> {
  const message = out.error_description ?? 'The request could not be processed.';
  await renderView(ctx, 'error', { message, code: out.error }, ctx.status);
}

/** RP-Initiated Logout's confirmation page: oidc-provider's form (with its CSRF field), our buttons. */
export async function renderLogout(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  await renderView(ctx, 'logout', { form });
}

/** After RP-Initiated Logout with no redirect back to an app. */
export async function renderLoggedOut(ctx: KoaContextWithOIDC): Promise<void> {
  await renderView(ctx, 'logged-out', {});
}
