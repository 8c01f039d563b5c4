// The account's webhooks in the portal, both environments: add an endpoint (URL, environment and the
// events it hears), send it a test event, rotate its signing secret (shown once, after the redirect:
// reveal.ts), disable, enable and delete it, and see each delivery with what was sent and the start
// of the answer, sending a finished one again. The same service as /v1/webhooks
// (server/webhooks/service.ts); who may do which is the authority module's, as the signed-in user.
import type { Context } from 'koa';
import type { Environment, PartnerRecord, Store, WebhookDelivery } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { availableEvents } from '../../config/webhooks.ts';
import { authorize, authorizeCreation } from '../authority/authorize.ts';
import { actorOfSession } from '../authority/identify.ts';
import type { Verb } from '../authority/rules.ts';
import {
  createWebhook, deleteWebhook, eventsOf, findWebhookIn, redeliver, rotateWebhookSecret, sendTestEvent, setWebhookEnabled, webhookInput,
  webhookNotFound, webhookTarget,
} from '../webhooks/service.ts';
import { checkedForm, sessionOf, showConfirm, showPage, signedInWith, type PortalDeps } from './context.ts';
import { plainWords } from './format.ts';
import { stashReveal, takeReveal } from './reveal.ts';

/** Webhooks listed per environment, and deliveries shown per webhook. */
export const PORTAL_WEBHOOKS = 50;
export const PORTAL_DELIVERIES = 10;
const SECRET_REVEAL = 'webhook-secret';
const ENVIRONMENTS: readonly Environment[] = ['live', 'test'];

const STATUS_WORDS: Record<WebhookDelivery['status'], string> = { pending: 'Retrying', delivered: 'Delivered', failed: 'Failed' };
const NOTICES: Readonly<Record<string, string>> = {
  test: 'A test event is on its way: it appears below within seconds.',
  disabled: 'The webhook is disabled: nothing is sent to it until you enable it.',
  enabled: 'The webhook is enabled again.',
  deleted: 'The webhook was deleted.',
  redelivered: 'The delivery will be sent again within seconds.',
};

/** The request body as sent, indented to read; an answer as received. */
function readable(json: string | undefined): string {
  if (!json) return '';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function describeDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id, eventType: delivery.eventType, eventId: delivery.eventId, finished: delivery.status !== 'pending',
    status: delivery.status === 'pending' && delivery.attempts === 0 ? 'Queued' : STATUS_WORDS[delivery.status],
    attempts: delivery.attempts, statusCode: delivery.lastStatusCode, error: delivery.lastError,
    request: readable(delivery.lastRequest), response: delivery.lastResponse ?? '',
    at: delivery.deliveredAt ?? delivery.lastAttemptAt ?? delivery.createdAt,
    next: delivery.status === 'pending' ? delivery.nextAttemptAt : undefined,
  };
}

async function describeWebhook(store: Store, webhook: PartnerRecord) {
  const deliveries = await store.listDeliveries(webhook.accountId, webhook.id, { limit: PORTAL_DELIVERIES });
  return {
    id: webhook.id, environment: webhook.environment, url: String(webhook.data.url),
    description: typeof webhook.data.description === 'string' ? webhook.data.description : '',
    events: eventsOf(webhook),
    disabledAt: typeof webhook.data.disabled_at === 'string' ? webhook.data.disabled_at : undefined,
    disabledReason: typeof webhook.data.disabled_reason === 'string' ? webhook.data.disabled_reason : undefined,
    signed: typeof webhook.data.signing_secret === 'string',
    deliveries: deliveries.map(describeDelivery),
  };
}

const MISSING: Readonly<Record<string, string>> = { url: 'Give the URL of your endpoint.', events: 'Choose at least one event.' };

/** Every field's problem at once (the service stops at the first), in words for the form. */
async function fieldErrors(fields: Record<string, unknown>, production: boolean): Promise<Record<string, string>> {
  const errors: Record<string, string> = {};
  for (const [name, value] of Object.entries({ url: undefined, events: undefined, ...fields })) {
    if (value === undefined) {
      if (MISSING[name]) errors[name] = MISSING[name];
      continue;
    }
    try {
      await webhookInput({ [name]: value }, true, production);
    } catch (err) {
      if (!(err instanceof LatchkeyError) || !err.field) throw err;
      errors[err.field] = plainWords(err.message.replace(/^[\w.]+: /, ''));
    }
  }
  return errors;
}

export function mountWebhooks(deps: PortalDeps): void {
  const { router, store, pepper, sessions, issuer, production } = deps;
  const signedIn = signedInWith(sessions);
  const acting = (ctx: Context) => ({ name: `user:${sessionOf(ctx).userId}`, production });
  const see = (ctx: Context, path: string) => {
    ctx.status = 303;
    ctx.redirect(path);
  };

  /** The account's webhook named in the path, in either environment, if this user may act on it. */
  async function sessionWebhook(ctx: Context, id: string, verb: Verb): Promise<PartnerRecord> {
    const webhook = await findWebhookIn(store, sessionOf(ctx).accountId, ENVIRONMENTS, id);
    authorize(actorOfSession(sessionOf(ctx)), { resource: 'webhooks', verb }, issuer, webhookTarget(webhook), () => webhookNotFound(id));
    return webhook;
  }

  async function showWebhooks(ctx: Context, form: { values?: Record<string, unknown>; errors?: Record<string, string> } = {}, status = 200) {
    const { accountId } = sessionOf(ctx);
    const lists = await Promise.all(ENVIRONMENTS.map((environment) =>
      store.listWebhooks({ accountId, environment }, { limit: PORTAL_WEBHOOKS })));
    const webhooks = await Promise.all(lists.flat().map((webhook) => describeWebhook(store, webhook)));
    const done = typeof ctx.query.done === 'string' ? NOTICES[ctx.query.done] ?? '' : '';
    await showPage(ctx, 'portal-webhooks', {
      webhooks, notice: done, revealed: form.errors ? undefined : await takeReveal(ctx, deps, SECRET_REVEAL),
      eventTypes: availableEvents(), values: form.values ?? { environment: 'test', events: [] }, errors: form.errors ?? {},
    }, status);
  }

  router.get('/webhooks', signedIn, async (ctx) => showWebhooks(ctx));

  router.post('/webhooks', signedIn, async (ctx) => {
    const { single, multiple } = await checkedForm(ctx, ['url', 'environment', 'description'], ['events']);
    const environment = single.environment === 'live' ? 'live' : 'test';
    const values = { url: single.url ?? '', environment, description: single.description ?? '', events: (multiple.events ?? []).filter(Boolean) };
    authorizeCreation(actorOfSession(sessionOf(ctx)), 'webhooks', environment, issuer);
    const fields: Record<string, unknown> = {
      url: values.url.trim() || undefined, events: values.events.length > 0 ? values.events : undefined,
      ...(values.description.trim() ? { description: values.description } : {}),
    };
    const errors = await fieldErrors(fields, production);
    const input = Object.keys(errors).length === 0 ? await webhookInput(fields, false, production) : undefined;
    if (!input) return showWebhooks(ctx, { values, errors }, 400);
    const place = { accountId: sessionOf(ctx).accountId, environment } as const;
    authorize(actorOfSession(sessionOf(ctx)), { resource: 'webhooks', verb: 'write' }, issuer, webhookTarget({ ...place, data: input }));
    const { webhook, secret } = await createWebhook(store, pepper, place, input, acting(ctx));
    await stashReveal(ctx, deps, SECRET_REVEAL, { webhookId: webhook.id, secret, why: 'made with the webhook' });
    see(ctx, `/portal/webhooks#${webhook.id}`);
  });

  router.post('/webhooks/:id/test', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await sendTestEvent(store, await sessionWebhook(ctx, ctx.params.id!, 'write'));
    see(ctx, `/portal/webhooks?done=test#${ctx.params.id!}`);
  });

  router.post('/webhooks/:id/rotate-secret', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    const { webhook, secret } = await rotateWebhookSecret(store, pepper, await sessionWebhook(ctx, ctx.params.id!, 'write'), acting(ctx));
    await stashReveal(ctx, deps, SECRET_REVEAL, { webhookId: webhook.id, secret, why: 'rotated: the old one no longer signs' });
    see(ctx, `/portal/webhooks#${webhook.id}`);
  });

  for (const [path, enabled] of [['disable', false], ['enable', true]] as const) {
    router.post(`/webhooks/:id/${path}`, signedIn, async (ctx) => {
      await checkedForm(ctx, []);
      await setWebhookEnabled(store, await sessionWebhook(ctx, ctx.params.id!, 'write'), enabled, acting(ctx));
      see(ctx, `/portal/webhooks?done=${path}d#${ctx.params.id!}`);
    });
  }

  router.get('/webhooks/:id/delete', signedIn, async (ctx) => {
    const webhook = await sessionWebhook(ctx, ctx.params.id!, 'write');
    await showConfirm(ctx, {
      title: 'Delete this webhook?', nav: 'webhooks', button: 'Delete the webhook', cancel: '/portal/webhooks',
      action: `/portal/webhooks/${encodeURIComponent(webhook.id)}/delete`,
      message: `Nothing more is sent to ${String(webhook.data.url)}, and its delivery log goes with it. This cannot be undone.`,
    });
  });

  router.post('/webhooks/:id/delete', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await deleteWebhook(store, await sessionWebhook(ctx, ctx.params.id!, 'write'), acting(ctx));
    see(ctx, '/portal/webhooks?done=deleted');
  });

  router.post('/webhooks/:id/deliveries/:delivery/redeliver', signedIn, async (ctx) => {
    await checkedForm(ctx, []);
    await redeliver(store, await sessionWebhook(ctx, ctx.params.id!, 'write'), ctx.params.delivery!);
    see(ctx, `/portal/webhooks?done=redelivered#${ctx.params.id!}`);
  });
}
