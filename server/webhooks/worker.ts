// The delivery worker, one in every instance: every poll it fans new outbox events out into
// deliveries, leases the due ones (the lease outlives the send timeout, so a live worker never
// loses one mid-send and no other instance sends it meanwhile), sends them a few at a time and
// records each attempt. A crash leaves the lease to expire: the delivery is sent again, with the
// same webhook-id, by whichever instance claims it next (at least once; exactly once without crashes).
import type { ClaimedDelivery, PartnerRecord, Store } from '../../adapters/contract.ts';
import { WEBHOOK_DELIVERY } from '../../config/lifetimes.ts';
import type { WebhookSettings } from '../../config/settings.ts';
import type { Logger } from '../log.ts';
import { generateId, generateSortableId, type Pepper } from '../secrets.ts';
import { outcomeOf, type SendResult } from './backoff.ts';
import { openSigningSecret } from './secrets.ts';
import { sendDelivery } from './sender.ts';
import { deliveryBody, signedHeaders } from './signing.ts';

export interface WorkerDeps {
  readonly store: Store;
  readonly pepper: Pepper;
  readonly settings: WebhookSettings;
  readonly production: boolean;
  readonly log: Logger;
  /** Told of every recorded attempt (metrics): what became of the delivery. */
  readonly onAttempt?: (outcome: 'delivered' | 'retrying' | 'failed') => void;
}

const OUTCOME_NAMES = { delivered: 'delivered', pending: 'retrying', failed: 'failed' } as const;

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => { while (next < items.length) await work(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export class WebhookWorker {
  /** Who holds a lease: this process, for as long as it runs. */
  readonly owner = generateId('wkr');
  readonly #deps: WorkerDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick().then(() => undefined, (err: Error) => {
        this.#deps.log.warn('webhook delivery round failed', { reason: err.message });
      }).finally(() => {
        this.#running = undefined;
        this.#schedule(this.#deps.settings.poll);
      });
    }, ms);
  }

  /** Stops polling and waits for the sends in flight (each bounded by the send timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#running) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#deps.settings.timeout + 1000); });
    await Promise.race([this.#running, bound]);
    clearTimeout(timer);
  }

  /** One round: fan out, claim, send, record. Returns how many deliveries it attempted. */
  async tick(): Promise<number> {
    const { store, settings } = this.#deps;
    const now = new Date();
    await store.fanOutEvents(WEBHOOK_DELIVERY.fanOut, now);
    const claimed = await store.claimDeliveries(this.owner, now, new Date(now.getTime() + settings.lease), WEBHOOK_DELIVERY.batch);
    await eachLimited(claimed, WEBHOOK_DELIVERY.concurrency, (item) => this.#deliver(item).catch((err: Error) => {
      this.#deps.log.warn('webhook delivery failed to record', { delivery_id: item.delivery.id, reason: err.message });
    }));
    return claimed.length;
  }

  /** Why a delivery cannot be sent at all (it then fails for good, without retries). */
  #unsendable(webhook: PartnerRecord, secret: string | undefined): string | undefined {
    if (webhook.data.disabled_at) return 'the webhook is disabled';
    if (!secret) return 'the webhook has no signing secret; rotate it (in the portal, or POST /v1/webhooks/{id}/rotate-secret)';
    return undefined;
  }

  async #deliver({ delivery, event, webhook }: ClaimedDelivery): Promise<void> {
    const { store, pepper, settings, production, log } = this.#deps;
    const secret = openSigningSecret(pepper, webhook.id, webhook.data.signing_secret);
    const unsendable = this.#unsendable(webhook, secret);
    if (unsendable) {
      if (await store.recordAttempt(delivery.id, this.owner, { at: new Date(), statusCode: undefined, error: unsendable, status: 'failed' })) {
        this.#deps.onAttempt?.('failed');
      }
      return;
    }
    const body = deliveryBody(event);
    const result = await sendDelivery(String(webhook.data.url), signedHeaders(secret!, delivery.id, new Date(), body), body, {
      timeout: settings.timeout, production,
    });
    const at = new Date();
    const outcome = { ...outcomeOf(delivery, result, settings.retrySchedule, at), request: body };
    if (!await store.recordAttempt(delivery.id, this.owner, outcome)) {
      log.warn('webhook delivery lease lost before its attempt was recorded', { delivery_id: delivery.id });
      return;
    }
    this.#deps.onAttempt?.(OUTCOME_NAMES[outcome.status]);
    await this.#trackHealth(webhook, result, at);
  }

  /**
   * Remembers since when a webhook has had no successful delivery (data.failing_since) and disables
   * it, with an audit event, once that lasts settings.disableAfter.
   */
  async #trackHealth(webhook: PartnerRecord, result: SendResult, at: Date): Promise<void> {
    const { store, settings } = this.#deps;
    const place = { accountId: webhook.accountId, environment: webhook.environment };
    const current = await store.findWebhook(place, webhook.id);
    if (!current) return;
    const { failing_since: since, ...rest } = current.data;
    if (result.ok) {
      if (since !== undefined) await store.updateWebhook(place, webhook.id, rest, at);
      return;
    }
    if (typeof since !== 'string') {
      await store.updateWebhook(place, webhook.id, { ...current.data, failing_since: at.toISOString() }, at);
      return;
    }
    if (current.data.disabled_at || at.getTime() - Date.parse(since) < settings.disableAfter) return;
    await store.updateWebhook(place, webhook.id, { ...current.data, disabled_at: at.toISOString() }, at);
    await store.recordAuditEvent({
      id: generateSortableId('evt'), accountId: webhook.accountId, actor: 'system', action: 'webhook.disabled', targetId: webhook.id,
      reason: `no successful delivery since ${since}`, at, detail: { name: String(webhook.data.url), environment: webhook.environment },
    });
    this.#deps.log.warn('webhook disabled after failing deliveries', { webhook_id: webhook.id, failing_since: since });
  }
}
