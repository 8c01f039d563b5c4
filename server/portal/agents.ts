// The operator's console for apps nobody registered in the portal (open registrations and client ID
// metadata documents): what was seen, from where, how many new authorizations today, verified or
// not; verifying an app (or taking it back) and blocking a host. Only the operator account's
// owners and admins reach it (authority rule 8); to anyone else it does not exist. Each step is
// audited in the operator account's log.
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';
import { normalizeHost, type AgentRegistry } from '../agents/registry.ts';
import { authorizeAgents } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import { checkedForm, sessionOf, showPage, signedInWith, type PortalDeps } from './context.ts';

/** Apps listed per page. */
export const PORTAL_AGENTS = 100;

const NOTICES: Readonly<Record<string, string>> = {
  verified: 'The app is verified: it may ask for every scope its type allows.',
  unverified: 'The app is unverified again: self-serve scopes only.',
  blocked: 'The host is blocked: its apps are refused from now on.',
  unblocked: 'The host is no longer blocked.',
};

export function mountAgents(deps: PortalDeps, agents: AgentRegistry): void {
  const { router, sessions } = deps;
  const signedIn = signedInWith(sessions);
  const operatorOnly = (ctx: Context) => {
    authorizeAgents(actorOfSession(sessionOf(ctx)), agents.operatorAccountId);
    return `user:${sessionOf(ctx).userId}`;
  };
  const done = (ctx: Context, what: string) => {
    ctx.status = 303;
    ctx.redirect(`/portal/agents?done=${what}`);
  };

  router.get('/agents', signedIn, async (ctx) => {
    operatorOnly(ctx);
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    const apps = await agents.list({ limit: PORTAL_AGENTS + 1, after });
    const notice = typeof ctx.query.done === 'string' ? NOTICES[ctx.query.done] ?? '' : '';
    await showPage(ctx, 'portal-agents', {
      apps: apps.slice(0, PORTAL_AGENTS), next: apps.length > PORTAL_AGENTS ? apps[PORTAL_AGENTS - 1]!.id : undefined,
      blocked: await agents.blockedHosts(), notice,
    });
  });

  router.post('/agents/verify', signedIn, async (ctx) => {
    const actor = operatorOnly(ctx);
    const { single } = await checkedForm(ctx, ['client_id']);
    if (!await agents.verify(single.client_id ?? '', actor)) throw new LatchkeyError('not_found', 'no such app has been seen');
    done(ctx, 'verified');
  });

  router.post('/agents/unverify', signedIn, async (ctx) => {
    const actor = operatorOnly(ctx);
    const { single } = await checkedForm(ctx, ['client_id']);
    await agents.unverify(single.client_id ?? '', actor);
    done(ctx, 'unverified');
  });

  router.post('/agents/block', signedIn, async (ctx) => {
    const actor = operatorOnly(ctx);
    const { single } = await checkedForm(ctx, ['host']);
    const host = normalizeHost(single.host ?? '');
    if (!host) throw new LatchkeyError('validation_failed', 'Give a host name, such as agents.example.com.', { field: 'host' });
    await agents.block(host, actor);
    done(ctx, 'blocked');
  });

  router.post('/agents/unblock', signedIn, async (ctx) => {
    const actor = operatorOnly(ctx);
    const { single } = await checkedForm(ctx, ['host']);
    await agents.unblock(normalizeHost(single.host ?? '') ?? '', actor);
    done(ctx, 'unblocked');
  });
}
