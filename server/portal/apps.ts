// The partner's side of OAuth in the portal: register, view, edit, rotate the secret of and delete
// the account's OAuth apps (web apps and service clients). Every POST answers with a redirect
// (post/redirect/get) except a refused form, which is shown again with its errors; a new secret
// reaches the page after the redirect through reveal.ts, never through the URL.
import type { Context } from 'koa';
import type { ClientRecord } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { isUserFacing, type ClientType } from '../../config/scopes.ts';
import { ValidationError } from '../../config/errors.ts';
import { createClient, updateClient } from '../clients/service.ts';
import { creationRefusal, sessionClient } from './targets.ts';
import { mountAppActions } from './apps-actions.ts';
import { checkAppFields, emptyEntered, logoFromForm, readAppForm, redirectLines, type Entered, type FieldErrors } from './apps-form.ts';
import { APP_TYPES, LOGO_MAX_KB, MAX_OVERLAP, TYPE_LABELS, integrationFacts, overlapChoices, presentApp, scopeChoices } from './apps-view.ts';
import { secretsLastUsed } from '../clients/secret-use.ts';
import { sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';
import { plainWords } from './format.ts';
import { stashReveal, takeReveal } from './reveal.ts';
import { registrationTokenSection } from './registration-tokens.ts';
import type { RegistrationPolicy } from '../../config/registration.ts';

/** The app list and logo styles the Connected apps page uses too. */
const STYLES = ['/static/consent.css'];

/** The reveal kind of a new client secret (reveal.ts keeps kinds apart). */
export const SECRET_REVEAL = 'client-secret';

const typeOf = (value: unknown): ClientType | undefined => APP_TYPES.find((t) => t === value);

function see(ctx: Context, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

/** The service's own checks have the last word: a refusal there is shown on its field too. */
async function refusedOnField<T>(errors: FieldErrors, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors[err.field] = err.message;
    return undefined;
  }
}

const plain = (errors: FieldErrors): FieldErrors => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, plainWords(v)]));

export function mountApps(deps: PortalDeps, options: { maxClients: number; registration: RegistrationPolicy }): void {
  const { router, store, pepper, sessions } = deps;
  const signedIn = signedInWith(sessions);
  // Logos fetched from loopback or private addresses are refused unless the server says otherwise.
  const production = deps.production;
  const actor = (ctx: Context) => `user:${sessionOf(ctx).userId}`;

  /** Keeps a new secret for the page the redirect leads to; `why` ends "The secret was …". */
  async function stashSecret(ctx: Context, clientId: string, secret: string | undefined, why: string) {
    if (secret) await stashReveal(ctx, deps, SECRET_REVEAL, { clientId, secret, why });
  }

  async function showForm(ctx: Context, type: ClientType, entered: Entered, errors: FieldErrors = {}, status = 200) {
    await showPage(ctx, 'portal-app-new', {
      type, typeLabel: TYPE_LABELS[type], scopes: scopeChoices(type), entered, errors: plain(errors), values: entered, logoMaxKb: LOGO_MAX_KB, styles: STYLES,
    }, status);
  }

  async function showApp(ctx: Context, client: ClientRecord, extra: { entered?: Entered; errors?: FieldErrors; status?: number } = {}) {
    const app = presentApp(client, new Date(), await secretsLastUsed(store.oidc, client.secrets.map((s) => s.id)));
    const reveal = extra.errors ? undefined : await takeReveal(ctx, deps, SECRET_REVEAL);
    const entered = extra.entered ?? {
      ...emptyEntered(), name: app.name, homepage_url: app.homepageUrl, redirect_uris: app.redirectUris.join('\n'),
      post_logout_redirect_uris: app.postLogoutRedirectUris.join('\n'), scopes: app.scopes,
    };
    await showPage(ctx, 'portal-app', {
      app, facts: integrationFacts(client, deps.issuer), scopes: scopeChoices(client.type), entered, errors: plain(extra.errors ?? {}), values: entered,
      revealed: reveal?.clientId === client.id ? reveal : undefined,
      notice: ctx.query.saved === '1' ? 'Changes saved.' : '', overlaps: overlapChoices(), maxOverlap: MAX_OVERLAP, logoMaxKb: LOGO_MAX_KB, styles: STYLES,
    }, extra.status ?? 200);
  }

  router.get('/apps', signedIn, async (ctx) => {
    const clients = await store.listClients(sessionOf(ctx).accountId);
    const notice = ctx.query.deleted === '1' ? 'The app was deleted.' : '';
    await showPage(ctx, 'portal-apps', {
      apps: clients.map((c) => presentApp(c)).reverse(), notice, styles: STYLES,
      registrationToken: await registrationTokenSection(ctx, deps, options.registration),
    });
  });

  router.get('/apps/new', signedIn, async (ctx) => {
    const type = typeOf(ctx.query.type);
    if (!type) {
      await showPage(ctx, 'portal-app-type', { types: APP_TYPES.map((t) => ({ type: t, label: TYPE_LABELS[t] })) });
      return;
    }
    await showForm(ctx, type, emptyEntered());
  });

  router.post('/apps', signedIn, async (ctx) => {
    const { type: typeField, entered, file } = await readAppForm(ctx);
    const type = typeOf(typeField);
    if (!type) throw new LatchkeyError('validation_failed', 'Choose a web app, a public client or a service client.', { field: 'type' });
    const errors = checkAppFields(entered, type, { registering: true });
    const logo = isUserFacing(type) ? await logoFromForm(entered, file, errors, production) : undefined;
    const refusal = creationRefusal(ctx, 'clients', entered.environment, deps.issuer);
    if (refusal) errors.environment = refusal;
    if (Object.keys(errors).length > 0) return showForm(ctx, type, entered, errors, 400);
    const session = sessionOf(ctx);
    const web = isUserFacing(type);
    const created = await refusedOnField(errors, () => createClient(store, pepper, {
      accountId: session.accountId, name: entered.name, type, scopes: entered.scopes.join(' '), environment: entered.environment,
      redirectUris: web ? redirectLines(entered.redirect_uris) : [], homepageUrl: web ? entered.homepage_url : undefined,
      postLogoutRedirectUris: type === 'web' ? redirectLines(entered.post_logout_redirect_uris) : [],
      logo: logo ?? undefined, actor: actor(ctx), maxClients: options.maxClients,
    }));
    if (!created) return showForm(ctx, type, entered, errors, 400);
    await stashSecret(ctx, created.clientId, created.clientSecret, 'made when the app was registered');
    see(ctx, `/portal/apps/${encodeURIComponent(created.clientId)}`);
  });

  router.get('/apps/:id', signedIn, async (ctx) => {
    await showApp(ctx, await sessionClient(store, deps.issuer, ctx, ctx.params.id!, 'read'));
  });

  router.post('/apps/:id', signedIn, async (ctx) => {
    const { entered, file } = await readAppForm(ctx);
    const client = await sessionClient(store, deps.issuer, ctx, ctx.params.id!, 'write');
    const web = isUserFacing(client.type);
    const errors = checkAppFields(entered, client.type, { registering: false });
    const logo = web ? await logoFromForm(entered, file, errors, production) : undefined;
    if (Object.keys(errors).length > 0) return showApp(ctx, client, { entered, errors, status: 400 });
    const updated = await refusedOnField(errors, () => updateClient(store, client, {
      name: entered.name, scopes: entered.scopes.join(' '),
      ...(web ? {
        homepageUrl: entered.homepage_url, redirectUris: redirectLines(entered.redirect_uris),
        ...(client.type === 'web' ? { postLogoutRedirectUris: redirectLines(entered.post_logout_redirect_uris) } : {}), logo,
      } : {}),
    }, actor(ctx)));
    if (!updated) return showApp(ctx, client, { entered, errors, status: 400 });
    see(ctx, `/portal/apps/${encodeURIComponent(client.id)}?saved=1`);
  });

  mountAppActions(deps, { stashSecret, see });
}
