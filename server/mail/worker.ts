// Sends the outbox's mails: every instance polls, each mail is leased to one sender, and an attempt
// is recorded after the hand-off. A crash between the two leaves the mail due again when its lease
// ends: it is sent again with the same Message-ID (at least once, recognisably the same message).
import type { MailStore, QueuedMail } from '../../adapters/contract.ts';
import { MAIL_DELIVERY } from '../../config/lifetimes.ts';
import type { Logger } from '../log.ts';
import { generateId } from '../secrets.ts';
import type { MailSealer } from './messages.ts';
import type { MailTransport } from './transport.ts';

export interface MailWorkerDeps {
  readonly store: MailStore;
  readonly sealer: MailSealer;
  readonly transport: MailTransport;
  readonly log: Logger;
  readonly onAttempt?: (outcome: 'sent' | 'retry' | 'failed') => void;
}

/** What an attempt means: sent, due again after the schedule's next wait, or failed for good. */
export function mailOutcome(mail: Pick<QueuedMail, 'attempts'>, error: string | undefined, at: Date) {
  if (error === undefined) return { status: 'sent' as const, at };
  const wait = MAIL_DELIVERY.retrySchedule[mail.attempts];
  if (wait === undefined) return { status: 'failed' as const, at, error };
  return { status: 'pending' as const, at, error, nextAttemptAt: new Date(at.getTime() + wait) };
}

/** Our words for a failed hand-off: the SMTP reply code and the library's message, never the body. */
function reasonOf(err: unknown): string {
  const { responseCode, code, message } = err as { responseCode?: number; code?: string; message?: string };
  return [responseCode, code, message].filter(Boolean).join(' ').slice(0, 300) || 'unknown error';
}

export class MailWorker {
  readonly owner = generateId('mlr');
  readonly #deps: MailWorkerDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(deps: MailWorkerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** A mail was just written on this instance: send it now rather than at the next poll. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick().then(() => undefined, (err: Error) => {
        this.#deps.log.warn('sending mail failed', { reason: err.message });
      }).finally(() => {
        this.#running = undefined;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? 0 : MAIL_DELIVERY.poll);
      });
    }, ms);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#deps.transport.close();
  }

  /** One round: claim the due mails and send each. Returns how many it attempted. */
  async tick(): Promise<number> {
    const claimed = await this.#deps.store.claimMails(this.owner, new Date(), MAIL_DELIVERY.batch, MAIL_DELIVERY.leaseSeconds);
    for (const mail of claimed) await this.#send(mail);
    return claimed.length;
  }

  async #send(mail: QueuedMail): Promise<void> {
    const { store, sealer, transport, log } = this.#deps;
    let error: string | undefined;
    try {
      await transport.send({ id: mail.id, to: mail.to, content: sealer.open(mail) });
    } catch (err) {
      error = reasonOf(err);
    }
    const outcome = mailOutcome(mail, error, new Date());
    if (!await store.finishMail(mail.id, this.owner, outcome)) {
      log.warn('mail lease lost before its attempt was recorded', { mail_id: mail.id });
      return;
    }
    this.#deps.onAttempt?.(outcome.status === 'pending' ? 'retry' : outcome.status);
    if (outcome.status === 'sent') log.info('mail sent', { mail_id: mail.id, template: mail.template });
    else log.warn(outcome.status === 'failed' ? 'mail failed for good' : 'mail will be retried', { mail_id: mail.id, template: mail.template, reason: error });
  }
}
