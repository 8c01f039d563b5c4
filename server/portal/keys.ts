// The API keys page: the list first (filtered by environment and state), Create key on its own page
// (every field's problem at once, above the form; presets per API), roll and revoke. Every form
// posts, then redirects (303): a new key waits encrypted for the page the redirect leads to
// (reveal.ts), which shows it once. Reloading or going back shows no key and makes none. Roll and
// revoke go through a page that names the key, and the list then says what was done to which.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES, humanDuration } from '../../config/lifetimes.ts';
import { API_SCOPE_NAMES, describeScope, scopeGroupOf } from '../../config/scopes.ts';
import { createKey, parseOverlap, presentKey, revokeKey, rollKey } from '../api-keys/service.ts';
import { creationRefusal, sessionKey } from './targets.ts';
import { requireRecentSignIn } from './step-up.ts';
import { checkedForm, sessionOf, showConfirm, showPage, signedInWith, type PortalDeps } from './context.ts';
import { formatDate, plainWords, type FieldErrors } from './format.ts';
import { expiryOf, keyFormErrors, keyPresets } from './key-form.ts';
import { stashReveal, takeReveal } from './reveal.ts';

const REVEAL_KIND = 'api_key';
const OVERLAPS = ['0', '1h', '24h', '7d'];
const STATES = ['active', 'rolled', 'revoked', 'expired'] as const;

export interface KeysOptions {
  /** Live API keys one account may hold (settings.apiKeysPerAccount). */
  readonly maxLiveKeys: number;
}

const overlapChoices = () => OVERLAPS.map((value) => ({
  value, label: value === '0' ? 'None: the old key stops working now' : `${humanDuration(parseOverlap(value))}`,
}));

const keyLabel = (key: { name: string; hint: string }) => key.name ? `“${key.name}” (${key.hint})` : key.hint;

const one = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : '');

export function mountKeys({ router, store, pepper, sessions, issuer }: PortalDeps, options: KeysOptions): void {
  const signedIn = signedInWith(sessions);
  const revealDeps = { store, sessions };

  async function showKeys(ctx: Context, extra: Record<string, unknown> = {}) {
    const session = sessionOf(ctx);
    const all = (await store.listApiKeys(session.accountId)).map(presentKey).reverse();
    const filter = { env: ['test', 'live'].includes(one(ctx, 'env')) ? one(ctx, 'env') : '', state: (STATES as readonly string[]).includes(one(ctx, 'state')) ? one(ctx, 'state') : '' };
    const keys = all.filter((k) => (!filter.env || k.environment === filter.env) && (!filter.state || k.status === filter.state));
    await showPage(ctx, 'portal', {
      keys, total: all.length, filter, states: STATES, maxOverlap: humanDuration(LIFETIMES.apiKeyMaxOverlap), created: undefined, ...extra,
    });
  }

  async function showForm(ctx: Context, values: Record<string, unknown>, errors: FieldErrors = {}, status = 200) {
    await showPage(ctx, 'portal-key-new', {
      scopes: API_SCOPE_NAMES.map((name) => ({ name, description: describeScope(name)!.description, group: scopeGroupOf(name) })),
      presets: keyPresets(), values, errors,
    }, status);
  }

  router.get('/', signedIn, async (ctx) => {
    const created = await takeReveal(ctx, revealDeps, REVEAL_KIND);
    const id = one(ctx, 'created');
    const done = one(ctx, 'done');
    const named = done ? (await store.listApiKeys(sessionOf(ctx).accountId)).find((k) => k.id === one(ctx, 'id')) : undefined;
    // Reloaded or come back to: the key was shown once already; say so rather than fail.
    const notice = named && done === 'revoked' ? `Revoked ${keyLabel(presentKey(named))}: every request with it is refused from now on.`
      : !created && id ? 'That key was shown once, when it was made, and cannot be shown again. If you did not copy it, roll the key to get a new one.'
        : created?.rolled ? `Rolled ${created.rolled}: the old key ${created.until ? `keeps working until ${created.until}` : 'stopped working now'}.` : '';
    // The stash is this session's own: shown whatever the query says, so it is never lost.
    await showKeys(ctx, { created, notice });
  });

  router.get('/keys/new', signedIn, async (ctx) => {
    const preset = keyPresets().find((p) => p.id === one(ctx, 'preset'));
    await showForm(ctx, { environment: 'test', scopes: preset?.scopes ?? [] });
  });

  router.post('/keys', signedIn, async (ctx) => {
    const { single, multiple } = await checkedForm(ctx, ['name', 'environment', 'expires_at', 'confirm_live'], ['scopes']);
    const session = sessionOf(ctx);
    const values = { ...single, scopes: multiple.scopes ?? [] };
    const errors = keyFormErrors(values);
    const refusal = errors.environment ? undefined : creationRefusal(ctx, 'api_keys', single.environment, issuer);
    if (refusal) errors.environment = plainWords(refusal);
    if (Object.keys(errors).length > 0) return showForm(ctx, values, errors, 400);
    if (single.environment === 'live') requireRecentSignIn(ctx, 'live_key.create');
    try {
      const created = await createKey(store, pepper, {
        accountId: session.accountId, environment: single.environment!, scopes: values.scopes, name: single.name,
        expiresAt: expiryOf(single.expires_at), actor: `user:${session.userId}`, maxLiveKeys: options.maxLiveKeys,
      });
      await revealed(ctx, created);
    } catch (err) {
      if (!(err instanceof LatchkeyError) || !['validation_failed', 'limit_reached'].includes(err.code)) throw err;
      await showForm(ctx, values, { [err.field ?? 'form']: plainWords(err.message) }, err.status);
    }
  });

  /** Stashes the new key for the page the redirect leads to: the key is never in a URL. */
  async function revealed(ctx: Context, made: { record: Parameters<typeof presentKey>[0]; key: string; previous?: Parameters<typeof presentKey>[0] }) {
    const shown = presentKey(made.record);
    const previous = made.previous ? presentKey(made.previous) : undefined;
    await stashReveal(ctx, revealDeps, REVEAL_KIND, {
      id: shown.id, key: made.key, name: shown.name, environment: shown.environment, hint: shown.hint,
      ...(previous ? { rolled: keyLabel(previous), until: previous.status === 'revoked' ? '' : formatDate(previous.expires_at ?? '') } : {}),
    });
    ctx.status = 303;
    ctx.redirect(`/portal?created=${encodeURIComponent(shown.id)}`);
  }

  router.get('/keys/:id/roll', signedIn, async (ctx) => {
    const key = presentKey(await sessionKey(store, issuer, ctx, ctx.params.id!, 'read'));
    await showConfirm(ctx, {
      title: 'Roll key', nav: 'keys', action: `/portal/keys/${encodeURIComponent(key.id)}/roll`, button: `Roll ${keyLabel(key)}`, cancel: '/portal',
      message: `Rolling ${keyLabel(key)} makes a new ${key.environment} key with the same scopes, shown once. `
        + 'The old key keeps working for the overlap you choose, so you can deploy the new one; with no overlap it stops working now.',
      select: { name: 'overlap', label: 'Overlap', options: overlapChoices(), selected: '24h' },
    });
  });

  router.post('/keys/:id/roll', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['overlap']);
    const session = sessionOf(ctx);
    const key = await sessionKey(store, issuer, ctx, ctx.params.id!, 'write');
    if (key.environment === 'live') requireRecentSignIn(ctx, 'live_key.roll');
    const rolled = await rollKey(store, pepper, key, parseOverlap(single.overlap), `user:${session.userId}`, { maxLiveKeys: options.maxLiveKeys });
    await revealed(ctx, rolled);
  });

  const revokeConfirmation = (key: ReturnType<typeof presentKey>) => ({
    title: 'Revoke key', nav: 'keys' as const, action: `/portal/keys/${encodeURIComponent(key.id)}/revoke`, button: `Revoke ${keyLabel(key)}`, cancel: '/portal',
    message: `Revoking ${keyLabel(key)} is immediate and cannot be undone: every request with it is refused from now on.`,
    text: { name: 'reason', label: 'Reason (optional, kept in the audit log)', maxlength: 200, placeholder: 'No longer used' },
  });

  router.get('/keys/:id/revoke', signedIn, async (ctx) => {
    const key = presentKey(await sessionKey(store, issuer, ctx, ctx.params.id!, 'read'));
    await showConfirm(ctx, revokeConfirmation(key));
  });

  router.post('/keys/:id/revoke', signedIn, async (ctx) => {
    const { single } = await checkedForm(ctx, ['reason']);
    const session = sessionOf(ctx);
    const key = await sessionKey(store, issuer, ctx, ctx.params.id!, 'write');
    try {
      await revokeKey(store, key, single.reason || 'revoked in the portal', `user:${session.userId}`);
    } catch (err) {
      if (!(err instanceof LatchkeyError) || err.code !== 'validation_failed') throw err;
      const errors = { reason: plainWords(err.message) };
      return showConfirm(ctx, revokeConfirmation(presentKey(key)), { errors, values: single }, err.status);
    }
    ctx.status = 303;
    ctx.redirect(`/portal?done=revoked&id=${encodeURIComponent(key.id)}`);
  });
}
