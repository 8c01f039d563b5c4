// The portal: a signed-in user of an account lists, creates, rolls and revokes its API keys in the
// browser. Forms carry the session's CSRF token; a new key is shown once, on the page that made it.
import { createHmac, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { API_SCOPE_NAMES, describeScope } from '../../config/scopes.ts';
import { signIn } from '../accounts/service.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { createKey, getKey, parseOverlap, presentKey, revokeKey, rollKey } from '../api-keys/service.ts';
import { readForm, readFormFields } from '../http/form.ts';
import { noStore } from '../http/middleware.ts';
import { renderView } from '../interactions/render.ts';
import type { Pepper } from '../secrets.ts';
import { mountApps } from './apps.ts';
import { mountConnectedApps } from './connected-apps.ts';
import { sameToken, type PortalSession, type PortalSessions } from './sessions.ts';

const LOGIN_CSRF_COOKIE = 'latchkey_login_nonce';
const OVERLAPS = ['0', '1h', '24h', '7d'];

export interface PortalOptions {
  /** Live API keys one account may hold (settings.apiKeysPerAccount). */
  readonly maxLiveKeys: number;
  readonly issuer: string;
}

export function portalRoutes(store: Store, pepper: Pepper, sessions: PortalSessions, limits: SignInLimits, options: PortalOptions): Router {
  const router = new Router({ prefix: '/portal' });
  router.use(noStore);

  // Before a session exists the cookie holds a random nonce and the form its HMAC under a server key:
  // a cookie and field pair an attacker makes up (a planted cookie, say) does not pass.
  const loginCsrfKey = pepper.derive('portal-login-csrf');
  const loginCsrfCookie = sessions.cookieName(LOGIN_CSRF_COOKIE);
  const loginCsrfToken = (nonce: string) => createHmac('sha256', loginCsrfKey).update(nonce).digest('base64url');

  async function showLogin(ctx: Context, error = '', email = '', status = 200) {
    const nonce = randomBytes(32).toString('base64url');
    ctx.cookies.set(loginCsrfCookie, nonce, sessions.cookieOptions());
    await renderView(ctx, 'portal-login', { csrf: loginCsrfToken(nonce), error, email }, status);
  }

  async function signedIn(ctx: Context, next: Next) {
    const session = await sessions.current(ctx);
    if (!session) {
      ctx.status = 303;
      ctx.redirect('/portal/login');
      return;
    }
    ctx.state.session = session;
    await next();
  }

  async function checkedForm(ctx: Context, fields: string[], repeated: string[] = []) {
    const form = await readFormFields(ctx, ['_csrf', ...fields], repeated);
    if (!sameToken(form.single._csrf!, (ctx.state.session as PortalSession).csrf)) throw new LatchkeyError('csrf_failed');
    return form;
  }

  async function showKeys(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const session = ctx.state.session as PortalSession;
    const [account, user, keys] = await Promise.all([
      store.findAccount(session.accountId), store.findUser(session.userId), store.listApiKeys(session.accountId),
    ]);
    await renderView(ctx, 'portal', {
      csrf: session.csrf,
      account: account?.name ?? session.accountId,
      email: user?.email ?? '',
      keys: keys.map(presentKey).reverse(),
      scopes: API_SCOPE_NAMES.map((name) => ({ name, description: describeScope(name)!.description })),
      overlaps: OVERLAPS.map((value) => ({ value, label: value === '0' ? 'none: the old key dies now' : humanDuration(parseOverlap(value)) })),
      maxOverlap: humanDuration(LIFETIMES.apiKeyMaxOverlap),
      created: undefined,
      error: '',
      ...extra,
    }, status);
  }

  router.get('/login', (ctx) => showLogin(ctx));

  router.post('/login', async (ctx) => {
    const form = await readForm(ctx, ['_csrf', 'email', 'password']);
    const nonce = ctx.cookies.get(loginCsrfCookie);
    if (!nonce || !sameToken(form._csrf!, loginCsrfToken(nonce))) throw new LatchkeyError('csrf_failed');
    const result = await signIn(store, limits, form.email!.trim(), form.password!, ctx.ip);
    if (result.outcome === 'limited') ctx.set('Retry-After', String(result.retryAfter));
    if (result.outcome !== 'ok') return showLogin(ctx, result.message, form.email, result.outcome === 'limited' ? 429 : 401);
    ctx.cookies.set(loginCsrfCookie, '', { ...sessions.cookieOptions(), maxAge: 0 });
    await sessions.create(ctx, result.user);
    ctx.status = 303;
    ctx.redirect('/portal');
  });

  router.post('/logout', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await sessions.destroy(ctx);
    ctx.status = 303;
    ctx.redirect('/portal/login');
  });

  router.get('/', signedIn, (ctx) => showKeys(ctx));

  router.post('/keys', signedIn, async (ctx) => {
    const { single, multiple } = await checkedForm(ctx, ['name', 'environment', 'expires_at'], ['scopes']);
    const session = ctx.state.session as PortalSession;
    try {
      const created = await createKey(store, pepper, {
        accountId: session.accountId, environment: single.environment!, scopes: multiple.scopes!, name: single.name,
        expiresAt: single.expires_at ? new Date(single.expires_at).toISOString() : undefined, actor: `user:${session.userId}`,
        maxLiveKeys: options.maxLiveKeys,
      });
      await showKeys(ctx, { created: { ...presentKey(created.record), key: created.key } }, 201);
    } catch (err) {
      if (!(err instanceof LatchkeyError) && !(err instanceof RangeError)) throw err;
      await showKeys(ctx, { error: err instanceof LatchkeyError ? err.message : 'expires_at must be a date' }, err instanceof LatchkeyError ? err.status : 400);
    }
  });

  router.post('/keys/:id/roll', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['overlap']);
    const session = ctx.state.session as PortalSession;
    const key = await getKey(store, session.accountId, ctx.params.id!);
    const rolled = await rollKey(store, pepper, key, parseOverlap(single.overlap), `user:${session.userId}`, { maxLiveKeys: options.maxLiveKeys });
    await showKeys(ctx, { created: { ...presentKey(rolled.record), key: rolled.key } }, 201);
  });

  router.post('/keys/:id/revoke', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['reason']);
    const session = ctx.state.session as PortalSession;
    const key = await getKey(store, session.accountId, ctx.params.id!);
    await revokeKey(store, key, single.reason || 'revoked in the portal', `user:${session.userId}`);
    ctx.status = 303;
    ctx.redirect('/portal');
  });

  const deps = { router, store, pepper, sessions, issuer: options.issuer };
  mountConnectedApps(deps);
  mountApps(deps);

  return router;
}
