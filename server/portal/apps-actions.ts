// What an app page's buttons do: rotate the secret (with an overlap, or none after a confirmation),
// report the current secret as leaked, delete the app. The irreversible ones go through a
// confirmation page naming the app; each POST ends in a redirect, the new secret in reveal.ts.
import { isUserFacing } from '../../config/scopes.ts';
import type { Context } from 'koa';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { sessionClient } from './targets.ts';
import { requireRecentSignIn } from './step-up.ts';
import { deleteClient, parseClientOverlap } from '../clients/service.ts';
import { revokeClientSecret, rotateClientSecret } from '../clients/secrets.ts';
import { OVERLAP_CHOICES } from './apps-view.ts';
import { checkedForm, sessionOf, showConfirm, signedInWith, type PortalDeps } from './context.ts';

export interface AppActionHelpers {
  readonly stashSecret: (ctx: Context, clientId: string, secret: string | undefined, why: string) => Promise<void>;
  readonly see: (ctx: Context, path: string) => void;
}

const appPath = (id: string) => `/portal/apps/${encodeURIComponent(id)}`;

export function mountAppActions(deps: PortalDeps, { stashSecret, see }: AppActionHelpers): void {
  const { router, store, pepper, sessions } = deps;
  const signedIn = signedInWith(sessions);
  const actor = (ctx: Context) => `user:${sessionOf(ctx).userId}`;
  const clientOf = (ctx: Context, id: string | undefined) => sessionClient(store, deps.issuer, ctx, id ?? '', 'write');

  router.post('/apps/:id/rotate', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['overlap']);
    const client = await clientOf(ctx, ctx.params.id);
    // Only the offered choices: the page never sends another, and "none" must be confirmed first.
    if (!OVERLAP_CHOICES.includes(single.overlap!)) throw new LatchkeyError('validation_failed', 'Choose one of the overlaps offered.', { field: 'overlap' });
    if (single.overlap === '0') return see(ctx, `${appPath(client.id)}/rotate-now`);
    if (client.environment === 'live') requireRecentSignIn(ctx, 'live_secret.rotate');
    const overlap = parseClientOverlap(single.overlap);
    const rotated = await rotateClientSecret(store, pepper, client, overlap, actor(ctx));
    await stashSecret(ctx, client.id, rotated.clientSecret, `made by a rotation: the previous secret keeps working for ${humanDuration(overlap)}`);
    see(ctx, appPath(client.id));
  });

  router.get('/apps/:id/rotate-now', signedIn, async (ctx) => {
    const client = await clientOf(ctx, ctx.params.id);
    await showConfirm(ctx, {
      title: `Rotate the secret of ${client.name} with no overlap`,
      message: `A new secret for ${client.name} is made now, and the current one stops working at once: `
        + 'every server still using it fails to get tokens until it has the new one.',
      action: `${appPath(client.id)}/rotate-now`, button: `Rotate the secret of ${client.name} now`, cancel: appPath(client.id), nav: 'apps',
    });
  });

  // Retire one secret still in its overlap (once nothing uses it): it stops at once.
  router.post('/apps/:id/secrets/:secretId/revoke', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const client = await clientOf(ctx, ctx.params.id);
    await revokeClientSecret(store, client, ctx.params.secretId ?? '', actor(ctx));
    see(ctx, appPath(client.id));
  });

  router.post('/apps/:id/rotate-now', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const client = await clientOf(ctx, ctx.params.id);
    if (client.environment === 'live') requireRecentSignIn(ctx, 'live_secret.rotate');
    const rotated = await rotateClientSecret(store, pepper, client, 0, actor(ctx));
    await stashSecret(ctx, client.id, rotated.clientSecret, 'made by a rotation with no overlap: the previous secret no longer works');
    see(ctx, appPath(client.id));
  });

  router.get('/apps/:id/leaked', signedIn, async (ctx) => {
    const client = await clientOf(ctx, ctx.params.id);
    await showConfirm(ctx, {
      title: `Report the secret of ${client.name} as leaked`,
      message: `Every current secret of ${client.name} stops working at once and can never work again; a new secret is made now. `
        + 'Put the new secret in place on your servers right away.',
      action: `${appPath(client.id)}/leaked`, button: `Revoke the leaked secret of ${client.name}`, cancel: appPath(client.id), nav: 'apps',
    });
  });

  router.post('/apps/:id/leaked', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const client = await clientOf(ctx, ctx.params.id);
    if (client.environment === 'live') requireRecentSignIn(ctx, 'live_secret.rotate');
    const rotated = await rotateClientSecret(store, pepper, client, 0, actor(ctx), { leaked: true });
    await stashSecret(ctx, client.id, rotated.clientSecret, 'made after the leaked one was revoked: the leaked secret never works again');
    see(ctx, appPath(client.id));
  });

  router.get('/apps/:id/delete', signedIn, async (ctx) => {
    const client = await clientOf(ctx, ctx.params.id);
    await showConfirm(ctx, {
      title: `Delete ${client.name}`,
      message: `${client.name} is deleted for good. ${isUserFacing(client.type)
        ? 'Everyone who connected it loses it at once: their grants and refresh tokens stop working now.'
        : 'Its secrets stop working now, and API keys it created are revoked.'} `
        + `Access tokens already issued keep working until they expire, at most ${humanDuration(LIFETIMES.accessToken)}.`,
      action: `${appPath(client.id)}/delete`, button: `Delete ${client.name}`, cancel: appPath(client.id), nav: 'apps',
    });
  });

  router.post('/apps/:id/delete', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const client = await clientOf(ctx, ctx.params.id);
    requireRecentSignIn(ctx, 'app.delete');
    await deleteClient(store, client, actor(ctx));
    see(ctx, '/portal/apps?deleted=1');
  });
}
