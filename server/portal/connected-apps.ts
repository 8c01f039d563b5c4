// The user's side of OAuth: the apps they approved, and revoking one.
import { connectedApps, disconnectApp } from '../grants/service.ts';
import { renderView } from '../interactions/render.ts';
import { checkedForm, sessionOf, signedInWith, type PortalDeps } from './context.ts';

export function mountConnectedApps({ router, store, sessions }: PortalDeps): void {
  const signedIn = signedInWith(sessions);

  router.get('/connected-apps', signedIn, async (ctx) => {
    const session = sessionOf(ctx);
    const [user, apps] = await Promise.all([store.findUser(session.userId), connectedApps(store, session.userId)]);
    await renderView(ctx, 'portal-connected-apps', {
      csrf: session.csrf, email: user?.email ?? '', apps: apps.map((app) => ({ ...app, since: app.since.toISOString() })),
    });
  });

  router.post('/connected-apps/:grantId/disconnect', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await disconnectApp(store, sessionOf(ctx).userId, ctx.params.grantId!);
    ctx.status = 303;
    ctx.redirect('/portal/connected-apps');
  });
}
