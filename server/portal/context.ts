// What every portal page needs: the store, the session of the signed-in user, and a checked form.
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { readFormFields } from '../http/form.ts';
import type { Pepper } from '../secrets.ts';
import { sameToken, type PortalSession, type PortalSessions } from './sessions.ts';

export interface PortalDeps {
  readonly router: Router;
  readonly store: Store;
  readonly pepper: Pepper;
  readonly sessions: PortalSessions;
  readonly issuer: string;
}

/** Lets the request through only with a portal session, which it puts in ctx.state.session. */
export function signedInWith(sessions: PortalSessions) {
  return async function signedIn(ctx: Context, next: Next) {
    const session = await sessions.current(ctx);
    if (!session) {
      ctx.status = 303;
      ctx.redirect('/portal/login');
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
