// What the rest of the server sees of mail: compose a mail (rendered and sealed, to be written with
// the change that causes it), and say one was written so this instance sends it at once.
import type { OutgoingMail } from '../../adapters/contract.ts';
import type { MailSettings } from '../../config/mail-settings.ts';
import type { Logger } from '../log.ts';
import type { Pepper } from '../secrets.ts';
import type { MailStore } from '../../adapters/contract.ts';
import { composeMail, MailSealer, type MailTemplate } from './messages.ts';
import { createMailTransport, type MailTransport } from './transport.ts';
import { MailWorker } from './worker.ts';

export interface MailerOptions {
  readonly settings: MailSettings;
  readonly issuer: string;
  readonly dataDir: string;
  readonly production: boolean;
  readonly pepper: Pepper;
  readonly store: MailStore;
  readonly log: Logger;
  readonly onAttempt?: (outcome: 'sent' | 'retry' | 'failed') => void;
}

export class Mailer {
  readonly issuer: string;
  readonly sealer: MailSealer;
  readonly transport: MailTransport;
  readonly worker: MailWorker;

  constructor(options: MailerOptions) {
    this.issuer = options.issuer;
    this.sealer = new MailSealer(options.pepper);
    this.transport = createMailTransport(options.settings, options);
    this.worker = new MailWorker({ store: options.store, sealer: this.sealer, transport: this.transport, log: options.log, onAttempt: options.onAttempt });
  }

  /** An absolute URL on the issuer for a path of ours. */
  link(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.issuer}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.href;
  }

  compose(template: MailTemplate, to: string, data: Record<string, unknown>): Promise<OutgoingMail> {
    return composeMail(this.sealer, this.issuer, template, to, {
      signInLink: this.link('/portal/login'), forgotLink: this.link('/portal/forgot'), ...data,
    });
  }

  /** Mails were written: send them now, not at the next poll. */
  written(): void {
    this.worker.wake();
  }
}
