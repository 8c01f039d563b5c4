// What every portal page needs: the store, the session of the signed-in user, a checked form, and
// showPage, which renders a view inside the portal's layout under the portal's CSP.
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { readFormFields } from '../http/form.ts';
import { PORTAL_PAGE_CSP } from '../http/security-headers.ts';
import { renderView } from '../http/views.ts';
import type { Pepper } from '../secrets.ts';
import { fieldAttributes, formatDate, type FieldErrors } from './format.ts';
import { mustEnrolTwoFactor, sameToken, type PortalSession, type PortalSessions } from '../accounts/sessions.ts';
import { actorOfSession } from '../authority/identify.ts';
import { decideAgents } from '../authority/rules.ts';
import { OPERATOR_ACCOUNT_ID } from '../clients/resource-servers.ts';

export interface PortalDeps {
  readonly router: Router;
  readonly store: Store;
  readonly pepper: Pepper;
  readonly sessions: PortalSessions;
  readonly issuer: string;
  /** NODE_ENV=production (settings.nodeEnv). */
  readonly production: boolean;
}

/** The portal tab a page belongs to (the header's nav marks it current). */
export type NavTab = 'keys' | 'apps' | 'connected-apps' | 'webhooks' | 'team' | 'audit' | 'security' | 'agents';

/** What a member the account's policy sends to set up two-factor may still do meanwhile. */
const WHILE_ENROLLING = new Set(['/portal/security/two-factor', '/portal/step-up', '/portal/logout', '/portal/logout-everywhere']);
const ENROLMENT = '/portal/security/two-factor';

/**
 * Lets the request through only with a portal session, which it puts in ctx.state.session. When the
 * account requires two-factor and the member has none, only enrolling (and signing out) is let through.
 */
export function signedInWith(sessions: PortalSessions) {
  return async function signedIn(ctx: Context, next: Next) {
    const session = await sessions.current(ctx);
    if (!session) {
      ctx.status = 303;
      // A page asked for comes back after signing in; a form posted does not (it is sent again by hand).
      ctx.redirect(ctx.method === 'GET' && ctx.path !== '/portal' ? `/portal/login?return_to=${encodeURIComponent(ctx.originalUrl)}` : '/portal/login');
      return;
    }
    if (mustEnrolTwoFactor(session) && !WHILE_ENROLLING.has(ctx.path)) {
      if (ctx.method !== 'GET') throw new LatchkeyError('two_factor_required');
      ctx.status = 303;
      ctx.redirect(`${ENROLMENT}?required=1`);
      return;
    }
    ctx.state.session = session;
    await next();
  };
}

export function sessionOf(ctx: Context): PortalSession {
  return ctx.state.session as PortalSession;
}

/** Reads a urlencoded form whose `_csrf` must be the session's token. */
export async function checkedForm(ctx: Context, fields: string[], repeated: string[] = []) {
  const form = await readFormFields(ctx, ['_csrf', ...fields], repeated);
  if (!sameToken(form.single._csrf!, sessionOf(ctx).csrf)) throw new LatchkeyError('csrf_failed');
  return form;
}

export interface PageData {
  /** Field name -> message in plain words; each shown beside its field. */
  readonly errors?: FieldErrors;
  /** What the user entered, to fill the form again after an error. */
  readonly values?: Record<string, unknown>;
  readonly [name: string]: unknown;
}

/**
 * Renders a view for a signed-in user. Every view gets `portal` (account, email, csrf: the header's
 * nav and sign-out form read it), `errors`, `values`, `formatDate` and `field(name)` (the
 * aria attributes tying an input to its error). Views start with
 * `include('partials/header', { title, wide: true, nav: 'keys' })`.
 */
export async function showPage(ctx: Context, view: string, data: PageData = {}, status = 200): Promise<void> {
  const session = sessionOf(ctx);
  const { user } = session;
  const errors = data.errors ?? {};
  await renderView(ctx, view, {
    notice: '',
    ...data,
    errors,
    values: data.values ?? {},
    portal: {
      account: session.accountName, email: user.email, csrf: session.csrf, unverified: !user.emailVerifiedAt, role: user.role,
      // The operator account's owners and admins also see the apps nobody registered (authority rule 8).
      operator: decideAgents(actorOfSession(session), OPERATOR_ACCOUNT_ID) === undefined,
    },
    csrf: session.csrf,
    formatDate,
    field: (name: string) => fieldAttributes(errors, name),
  }, status);
  // Portal pages run one script of ours (static/copy.js); renderView's policy allows none.
  ctx.set('Content-Security-Policy', PORTAL_PAGE_CSP);
}

export interface Confirmation {
  readonly title: string;
  /** What will happen, naming the key or app, in plain words. */
  readonly message: string;
  readonly action: string;
  readonly button: string;
  /** Where "Cancel" goes back to. */
  readonly cancel: string;
  readonly nav: NavTab;
  /** A choice to make on the way (the overlap of a roll). */
  readonly select?: { name: string; label: string; options: { value: string; label: string }[]; selected?: string };
  /** A line of text to give (a revocation reason). */
  readonly text?: { name: string; label: string; maxlength: number; placeholder?: string };
  /** A checkbox that must be ticked (creating a live credential). */
  readonly check?: { name: string; label: string };
}

/** A confirmation page (views/portal-confirm.ejs): its form POSTs `action` with the session's CSRF token. */
export async function showConfirm(ctx: Context, confirmation: Confirmation, data: PageData = {}, status = 200): Promise<void> {
  await showPage(ctx, 'portal-confirm', { ...data, confirmation }, status);
}
