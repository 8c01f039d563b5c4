// The mails Latchkey sends: each a subject and two EJS templates (views/mail/<name>.text.ejs and
// .html.ejs) rendered when the mail is written, with links built on the issuer. The rendered mail is
// sealed before it reaches the store: a reset or verification link is a secret, and secrets are
// never at rest in plaintext. The sender opens it just before sending.
import { join } from 'node:path';
import ejs from 'ejs';
import type { OutgoingMail } from '../../adapters/contract.ts';
import { generateSortableId, openText, openWithAny, sealText, type Pepper } from '../secrets.ts';

const VIEWS = join(import.meta.dirname, '..', '..', 'views', 'mail');

export const MAIL_SUBJECTS = {
  verify_email: 'Confirm your email address for Latchkey',
  already_registered: 'Someone tried to sign up to Latchkey with your address',
  password_reset: 'Reset your Latchkey password',
  password_changed: 'Your Latchkey password was changed',
  email_changed: 'Your Latchkey email address was changed',
  two_factor_changed: 'Two-factor authentication changed on your Latchkey account',
  invitation: 'You are invited to join an account on Latchkey',
  member_removed: 'You were removed from an account on Latchkey',
} as const;

export type MailTemplate = keyof typeof MAIL_SUBJECTS;

/** What a mail says, as sealed in the outbox. */
export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Seals and opens mail bodies under a key derived from the pepper, each bound to its mail's id. */
const PURPOSE = 'mail-outbox';

export class MailSealer {
  // The keys are derived at each use: a generated pepper rotated while the server runs is taken in
  // place (Pepper.adopt), and mail sealed under it must open here too.
  readonly #pepper: Pepper;
  constructor(pepper: Pepper) {
    this.#pepper = pepper;
  }

  /** Under the current pepper. */
  seal(id: string, content: MailContent): string { return sealText(this.#pepper.derive(PURPOSE), JSON.stringify(content), `mail:${id}`); }
  /** Under whichever listed pepper sealed it. */
  open(mail: Pick<OutgoingMail, 'id' | 'sealed'>): MailContent {
    return JSON.parse(openWithAny(this.#pepper.derivedKeys(PURPOSE), (key) => openText(key, mail.sealed, `mail:${mail.id}`))) as MailContent;
  }
}

/** Renders one mail for `to`, sealed, ready to be written with the change that causes it. */
export async function composeMail(
  sealer: MailSealer, issuer: string, template: MailTemplate, to: string, data: Record<string, unknown>,
): Promise<OutgoingMail> {
  const locals = { ...data, issuer, subject: MAIL_SUBJECTS[template] };
  const render = (kind: 'text' | 'html') => ejs.renderFile(join(VIEWS, `${template}.${kind}.ejs`), locals, { async: false, cache: true });
  const [text, html] = await Promise.all([render('text'), render('html')]);
  const id = generateSortableId('mail');
  return { id, to, template, sealed: sealer.seal(id, { subject: MAIL_SUBJECTS[template], text, html }), createdAt: new Date() };
}
