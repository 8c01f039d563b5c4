// Where mail goes: an SMTP server (nodemailer) when LATCHKEY_SMTP_URL is set; otherwise, outside
// production, `.eml` files under DATA_DIR/mail that the development mailbox lists, so `npm start`
// works end to end with no mail server. Each message carries a Message-ID made from its outbox id,
// so a mail sent again after a crash (between the hand-off and the mark) is the same message.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { MailSettings } from '../../config/mail-settings.ts';
import { SettingsError } from '../../config/settings-error.ts';
import type { MailContent } from './messages.ts';

/** How long one SMTP conversation may take before the attempt counts as failed. */
const SMTP_TIMEOUT_MS = 15_000;

export interface MailTransport {
  /** For the boot log: where mail goes, without credentials. */
  readonly description: string;
  /** True when mails are files for the development mailbox. */
  readonly files: boolean;
  send(message: { readonly id: string; readonly to: string; readonly content: MailContent }): Promise<void>;
  close(): void;
}

export function messageId(id: string, issuer: string): string {
  return `<${id}@${new URL(issuer).hostname}>`;
}

export function mailFolder(dataDir: string): string {
  return join(dataDir, 'mail');
}

/** The transport for these settings; production without LATCHKEY_SMTP_URL stops the boot, naming it. */
export function createMailTransport(settings: MailSettings, options: { issuer: string; dataDir: string; production: boolean }): MailTransport {
  const envelope = (message: Parameters<MailTransport['send']>[0]) => ({
    from: settings.from, to: message.to, subject: message.content.subject, text: message.content.text, html: message.content.html,
    messageId: messageId(message.id, options.issuer), headers: { 'Auto-Submitted': 'auto-generated' },
  });
  if (settings.smtp) {
    const { host, port, secure, requireTLS, auth, description } = settings.smtp;
    const transporter = nodemailer.createTransport({
      host, port, secure, requireTLS, auth, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS,
      // Never log: the conversation carries the password and the links.
      logger: false, debug: false,
    });
    return {
      description: `SMTP at ${description}${requireTLS ? ' (STARTTLS required)' : ''}`,
      files: false,
      async send(message) { await transporter.sendMail(envelope(message)); },
      close() { transporter.close(); },
    };
  }
  if (options.production) {
    throw new SettingsError('LATCHKEY_SMTP_URL', 'required in production: mail verifies addresses and resets passwords; '
      + 'set it to smtp://user:password@host:587 or smtps://user:password@host:465 (or LATCHKEY_SMTP_URL_FILE)');
  }
  const folder = mailFolder(options.dataDir);
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `files in ${folder} (no LATCHKEY_SMTP_URL; development only), listed at /portal/dev/mail`,
    files: true,
    async send(message) {
      const info = await composer.sendMail(envelope(message));
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await writeFile(join(folder, `${message.id}.eml`), info.message as Buffer, { mode: 0o600 });
    },
    close() {},
  };
}
