// Login and consent pages. oidc-provider sends the browser here (interactions.url) whenever a
// prompt is needed; we answer with interactionResult and redirect back to it.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { originOf } from '../accounts/account-events.ts';
import { signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { checkPendingCode, type PendingSignIns } from '../accounts/pending-sign-in.ts';
import { mustEnrolTwoFactor, type PortalSessions } from '../accounts/sessions.ts';
import { readForm } from '../http/form.ts';
import { noStore } from '../http/middleware.ts';
import type { Pepper } from '../secrets.ts';
import { appIdentity, recordConsent } from '../grants/service.ts';
import { consentView, missingScopes } from './consent.ts';
import { renderView } from '../http/views.ts';
import type { AgentRegistry } from '../agents/registry.ts';

const STYLES = ['/static/consent.css'];

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionDeps {
  readonly provider: Provider;
  readonly store: Store;
  readonly pepper: Pepper;
  readonly limits: SignInLimits;
  readonly pending: PendingSignIns;
  /** One sign-in: a portal session completes a login, and a login here starts a portal session. */
  readonly sessions: PortalSessions;
  /** Unverified apps have a daily cap on new authorizations. */
  readonly agents: AgentRegistry;
}

/**
 * A portal session may stand for the login oidc-provider asks for, unless the app asked for a new
 * sign-in (prompt=login) or one more recent than the portal's (max_age).
 */
export function portalSignInCounts(details: Pick<Details, 'params' | 'prompt'>, signedInAt: number, now = Date.now()): boolean {
  const prompts = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  if (prompts.includes('login') || details.prompt.reasons.includes('login_prompt')) return false;
  const maxAge = Number(details.params.max_age);
  return !(details.params.max_age !== undefined && Number.isFinite(maxAge) && now - signedInAt > maxAge * 1000);
}

export function interactionRoutes({ provider, store, pepper, limits, pending, sessions, agents }: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  router.use(noStore);
  // The token is bound to the interaction, whose id only the browser holding its cookie knows.
  const csrfToken = (uid: string) => pepper.tag('csrf', uid);

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
    if (!pepper.tagMatches('csrf', details.uid, form._csrf ?? '')) throw new LatchkeyError('csrf_failed');
    return form;
  }

  async function finish(ctx: Context, result: InteractionResults, merge: boolean, afterSaving?: () => Promise<void>) {
    let redirectTo: string;
    try {
      redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    } catch (err) {
      // The session ended or changed hands (another tab) since the page was shown.
      if (err instanceof errors.SessionNotFound) throw new LatchkeyError('interaction_expired');
      throw err;
    }
    await afterSaving?.();
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  async function showLogin(ctx: Context, details: Details, email = '', error = '', status = 200) {
    await renderView(ctx, 'login', {
      uid: details.uid, csrf: csrfToken(details.uid), app: await appIdentity(store, String(details.params.client_id)),
      email, error, styles: STYLES, signedInAs: await signedInAs(ctx, details),
    }, status);
  }

  /** Who this browser is signed in as, when an app asks for a new sign-in anyway (prompt=login, max_age): the page offers "Sign out". */
  async function signedInAs(ctx: Context, details: Details): Promise<string | undefined> {
    const portal = await sessions.current(ctx);
    if (portal) return portal.user.email;
    const accountId = details.session?.accountId;
    return typeof accountId === 'string' ? (await store.findUser(accountId))?.email : undefined;
  }

  async function showCode(ctx: Context, details: Details, email: string, error = '', status = 200) {
    await renderView(ctx, 'sign-in-code', { action: `/interaction/${details.uid}/code`, csrf: csrfToken(details.uid), email, error, styles: STYLES }, status);
  }

  async function showConsent(ctx: Context, details: Details) {
    await renderView(ctx, 'consent', { uid: details.uid, csrf: csrfToken(details.uid), styles: STYLES, ...await consentView(provider, store, details) });
  }

  router.get('/:uid', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    if (details.prompt.name === 'login') {
      const portal = await sessions.current(ctx);
      if (portal && mustEnrolTwoFactor(portal)) throw twoFactorFirst();
      if (portal && portalSignInCounts(details, portal.signedInAt)) {
        return finish(ctx, { login: { accountId: portal.userId, ts: Math.floor(portal.signedInAt / 1000), amr: [...portal.amr] } }, false);
      }
      return showLogin(ctx, details);
    }
    if (details.prompt.name === 'consent') return showConsent(ctx, details);
    throw new LatchkeyError('interaction_expired');
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    const form = await readCheckedForm(ctx, details, ['email', 'password']);
    if (details.prompt.name !== 'login') throw new LatchkeyError('interaction_expired');
    const result = await signIn(store, limits, form.email!.trim(), form.password!, originOf(ctx));
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok') return showLogin(ctx, details, form.email, result.message, result.outcome === 'limited' ? 429 : 401);
    if (result.user.totp) {
      await pending.start(ctx, { userId: result.user.id, email: result.user.email, purpose: `interaction:${details.uid}` });
      return showCode(ctx, details, result.user.email);
    }
    const portal = await sessions.create(ctx, result.user, { amr: ['pwd'] });
    // Signed in (to the portal, where enrolling is), but no app gets this member until two-factor is set up.
    if (mustEnrolTwoFactor(portal)) throw twoFactorFirst();
    await finish(ctx, { login: { accountId: result.user.id, amr: ['pwd'] } }, false);
  });

  // The second factor, for a user with two-factor on: the same check as the portal's.
  router.post('/:uid/code', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    const form = await readCheckedForm(ctx, details, ['code']);
    if (details.prompt.name !== 'login') throw new LatchkeyError('interaction_expired');
    const purpose = `interaction:${details.uid}`;
    const checked = await checkPendingCode({ store, pepper, limits, pending }, ctx, purpose, form.code!);
    if (checked.outcome === 'expired') return showLogin(ctx, details, '', checked.message, 401);
    if (checked.outcome !== 'ok') {
      if (checked.outcome === 'limited') ctx.set('Retry-After', String(checked.retryAfter));
      return showCode(ctx, details, (await pending.current(ctx, purpose))?.email ?? '', checked.message, checked.outcome === 'limited' ? 429 : 401);
    }
    await sessions.create(ctx, checked.user, { amr: ['pwd', 'otp'] });
    await finish(ctx, { login: { accountId: checked.user.id, amr: ['pwd', 'otp'] } }, false);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    await readCheckedForm(ctx, details, []);
    if (details.prompt.name !== 'consent') throw new LatchkeyError('interaction_expired');
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    // A new authorization of an unverified app counts against its daily cap (server/agents/registry.ts).
    const app = await appIdentity(store, clientId);
    if (!existing && app.unverified) {
      const capped = await agents.countAuthorization(clientId, typeof details.params.redirect_uri === 'string' ? details.params.redirect_uri : '');
      if (capped) return finish(ctx, { error: 'temporarily_unavailable', error_description: capped }, false);
    }
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    const missing = missingScopes(details);
    if (missing.openid.length) grant.addOIDCScope(missing.openid.join(' '));
    for (const [resource, scopes] of Object.entries(missing.resources)) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await auditConsent(accountId, grantId, clientId, app.clientName, [...missing.openid, ...Object.values(missing.resources).flat()]);
    await finish(ctx, { consent: { grantId } }, true);
  });

  async function auditConsent(userId: string, grantId: string, clientId: string, appName: string, scopes: string[]) {
    const user = await store.findUser(userId);
    if (!user) return;
    await recordConsent(store, { user, grantId, clientId, appName, scopes });
  }

  // "Not you?": the session forgets its user (and the apps it authorized), and the same authorization
  // request resumes: with no one signed in, oidc-provider asks for the login prompt again.
  router.post('/:uid/switch-account', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    await readCheckedForm(ctx, details, []);
    if (details.prompt.name !== 'consent') throw new LatchkeyError('interaction_expired');
    // Signed out only once the empty result is saved: oidc-provider refuses to save a result for an
    // interaction whose session has changed principal.
    await finish(ctx, {}, false, async () => {
      // By its cookie: the store keeps only a hash of a session's id, so findByUid cannot save it back.
      // Cleared before the portal session ends: ending that place first would end this session with it.
      const session = await provider.Session.get(ctx);
      if (details.session?.uid && session.uid === details.session.uid) {
        Object.assign(session, { accountId: undefined, loginTs: undefined, amr: undefined, acr: undefined, authorizations: {} });
        await session.persist();
      }
      // One sign-in: the portal session of this browser is the same user's, and ends too.
      await sessions.destroy(ctx);
    });
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await loadInteraction(ctx, ctx.params.uid);
    await readCheckedForm(ctx, details, []);
    const description = details.prompt.name === 'login' ? 'the user cancelled the sign-in' : 'the user denied the request';
    await finish(ctx, { error: 'access_denied', error_description: description }, false);
  });

  return router;
}

/** The account requires two-factor and the member has none: they enrol in the portal before any app gets them. */
function twoFactorFirst(): LatchkeyError {
  return new LatchkeyError('two_factor_required',
    'Your organisation requires two-factor authentication. Set it up in the portal at /portal/security/two-factor, then go back to the app.');
}
