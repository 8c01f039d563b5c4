// The user's side of OAuth: the apps they approved, and revoking one through a confirmation page
// that names the app (GET shows it, POST with the session's CSRF token revokes, 303 back to the list).
import type { Context } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { appIdentity, connectedApps, disconnectApp, findConnectedApp, type ConnectedApp } from '../grants/service.ts';
import { readableDate } from '../grants/words.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';
import { stashReveal, takeReveal } from './reveal.ts';

const STYLES = ['/static/consent.css'];
const LIST = '/portal/connected-apps';

/** A date as the page shows it: readable text, and the exact instant for <time datetime>. */
function shownDate(date: Date) {
  return { text: readableDate(date), iso: date.toISOString() };
}

function presentApp(app: ConnectedApp) {
  return { ...app, since: shownDate(app.since), lastUsed: app.lastUsed ? shownDate(app.lastUsed) : undefined };
}

/** What the page after a revoke says: kept for this session only, so no link can name an app. */
const NOTICE_KIND = 'connected-app-revoked';

/**
 * "<App> can no longer access your account", after this session revoked it: the app's name comes
 * from the revocation itself (stashed under the session), never from the URL; and only for an app
 * the user no longer has.
 */
async function revokedNotice(ctx: Context, deps: PortalDeps, apps: readonly ConnectedApp[]): Promise<string> {
  const revoked = await takeReveal(ctx, deps, NOTICE_KIND);
  if (!revoked?.clientId || apps.some((app) => app.clientId === revoked.clientId)) return '';
  return `${revoked.clientName} can no longer access your account`;
}

async function page(ctx: Context, store: Store, view: Record<string, unknown>) {
  const user = await store.findUser(sessionOf(ctx).userId);
  await showPage(ctx, 'portal-connected-apps', {
    email: user?.email ?? '', styles: STYLES, apps: [], notice: '', confirm: undefined, ...view,
  });
}

export function mountConnectedApps(deps: PortalDeps): void {
  const { router, store, sessions } = deps;
  const signedIn = signedInWith(sessions);

  router.get('/connected-apps', signedIn, async (ctx) => {
    const apps = await connectedApps(store, sessionOf(ctx).userId);
    await page(ctx, store, { apps: apps.map(presentApp), notice: await revokedNotice(ctx, deps, apps) });
  });

  router.get('/connected-apps/:grantId/revoke', signedIn, async (ctx) => {
    const app = await findConnectedApp(store, sessionOf(ctx).userId, ctx.params.grantId!);
    await page(ctx, store, { confirm: presentApp(app) });
  });

  router.post('/connected-apps/:grantId/revoke', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const userId = sessionOf(ctx).userId;
    const app = await findConnectedApp(store, userId, ctx.params.grantId!);
    await disconnectApp(store, userId, app.grantId);
    const { clientName } = await appIdentity(store, app.clientId);
    await stashReveal(ctx, deps, NOTICE_KIND, { clientId: app.clientId, clientName });
    ctx.status = 303;
    ctx.redirect(LIST);
  });

  // The earlier one-click form (no confirmation page); kept for links and scripts that post to it.
  router.post('/connected-apps/:grantId/disconnect', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await disconnectApp(store, sessionOf(ctx).userId, ctx.params.grantId!);
    ctx.status = 303;
    ctx.redirect(LIST);
  });
}
