// Login and consent pages. oidc-provider sends the browser here (interactions.url) whenever a
// prompt is needed; we answer with interactionResult and redirect back to it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { describeScope } from '../../config/scopes.ts';
import { signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { readForm } from '../http/form.ts';
import { noStore } from '../http/middleware.ts';
import type { Pepper } from '../secrets.ts';
import { renderView } from './render.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface PromptDetails {
  missingOIDCScope?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Scopes the consent prompt still needs, in catalog words, without duplicates. */
function missingScopes(details: Details): string[] {
  const prompt = details.prompt.details as PromptDetails;
  const resourceScopes = Object.values(prompt.missingResourceScopes ?? {}).flat();
  return [...new Set([...(prompt.missingOIDCScope ?? []), ...resourceScopes])];
}

export function interactionRoutes(provider: Provider, store: Store, pepper: Pepper, limits: SignInLimits): Router {
  const router = new Router({ prefix: '/interaction' });
  router.use(noStore);
  const csrfKey = pepper.derive('csrf');

  // The token is bound to the interaction, whose id only the browser holding its cookie knows.
  const csrfToken = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');

  async function loadInteraction(ctx: Context, uid: string | undefined): Promise<Details> {
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) throw new LatchkeyError('interaction_expired');
      throw err;
    }
    if (details.uid !== uid) throw new LatchkeyError('interaction_expired');
    return details;
  }

  async function readCheckedForm(ctx: Context, details: Details, fields: readonly string[]) {
    const form = await readForm(ctx, ['_csrf', ...fields]);
    const expected = Buffer.from(csrfToken(details.uid));
    const actual = Buffer.from(form._csrf ?? '');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new LatchkeyError('csrf_failed');
    return form;
  }

  async function clientName(details: Details): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function finish(ctx: Context, result: InteractionResults, merge: boolean) {
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  async function showLogin(ctx: Context, details: Details, email = '', error = '', status = 200) {
    await renderView(ctx, 'login', {
      uid: details.uid, csrf: csrfToken(details.uid), clientName: await clientName(details), email, error,
    }, status);
  }

  async function showConsent(ctx: Context, details: Details) {
    const accountId = details.session?.accountId;
    const user = accountId ? await store.findUser(accountId) : undefined;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const alreadyGranted = grant
      ? [...new Set([...grant.getOIDCScope().split(' '), ...Object.keys(grant.resources ?? {})
        .flatMap((r) => grant.getResourceScope(r).split(' '))])].filter(Boolean)
      : [];
    await renderView(ctx, 'consent', {
      uid: details.uid,
      csrf: csrfToken(details.uid),
      clientName: await clientName(details),
      email: user?.email ?? '',
      scopes: missingScopes(details).map((name) => ({ name, description: describeScope(name)?.description ?? name })),
      alreadyGranted,
    });
  }

  router.get('/:uid', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    if (details.prompt.name === 'login') return showLogin(ctx, details);
    if (details.prompt.name === 'consent') return showConsent(ctx, details);
    throw new LatchkeyError('interaction_expired');
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    const form = await readCheckedForm(ctx, details, ['email', 'password']);
    if (details.prompt.name !== 'login') throw new LatchkeyError('interaction_expired');
    const result = await signIn(store, limits, form.email!.trim(), form.password!, ctx.ip);
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok') return showLogin(ctx, details, form.email, result.message, result.outcome === 'limited' ? 429 : 401);
    await finish(ctx, { login: { accountId: result.user.id } }, false);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    await readCheckedForm(ctx, details, []);
    if (details.prompt.name !== 'consent') throw new LatchkeyError('interaction_expired');
    const prompt = details.prompt.details as PromptDetails;
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
      ?? new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    if (prompt.missingOIDCScope?.length) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: { grantId } }, true);
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    await readCheckedForm(ctx, details, []);
    const description = details.prompt.name === 'login' ? 'the user cancelled the sign-in' : 'the user denied the request';
    await finish(ctx, { error: 'access_denied', error_description: description }, false);
  });

  return router;
}
