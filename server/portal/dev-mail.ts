// The development mailbox: with no LATCHKEY_SMTP_URL outside production, mails are files under
// DATA_DIR/mail, and this page lists them with their text, so a sign-up, a verification and a reset
// work end to end on `npm start`. Not mounted in production or with SMTP set (404 then).
import type Router from '@koa/router';
import type { MailStore } from '../../adapters/contract.ts';
import { renderView } from '../http/views.ts';
import type { Mailer } from '../mail/mailer.ts';

const SHOWN = 50;

export function mountDevMailbox(router: Router, store: MailStore, mailer: Mailer): void {
  router.get('/dev/mail', async (ctx) => {
    const mails = await store.listMails(SHOWN);
    await renderView(ctx, 'portal-dev-mail', {
      folder: mailer.transport.description,
      mails: mails.map((mail) => {
        let content: { subject: string; text: string } = { subject: '(cannot be opened with this pepper)', text: '' };
        try {
          content = mailer.sealer.open(mail);
        } catch { /* sealed under another pepper: listed, not shown */ }
        return { id: mail.id, to: mail.to, status: mail.status, createdAt: mail.createdAt.toISOString(), ...content, links: linksIn(content.text, mailer.issuer) };
      }),
    });
  });
}

/** The issuer's links a mail's text carries, to click in the mailbox. */
function linksIn(text: string, issuer: string): string[] {
  return [...text.matchAll(/https?:\/\/\S+/g)].map(([url]) => url).filter((url) => url.startsWith(`${issuer}/`));
}
