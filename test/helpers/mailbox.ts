// A real SMTP server on loopback (smtp-server) that keeps every mail it receives, parsed
// (mailparser): the tests read verification and reset links from the mails the server really sent.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './server.ts';

export interface Mailbox {
  /** LATCHKEY_SMTP_URL for a test server. */
  readonly url: string;
  readonly mails: ParsedMail[];
  /** The first mail to `to` (received after `since` mails) whose subject matches; waits up to 10 s. */
  waitFor(to: string, subject: RegExp, since?: number): Promise<ParsedMail>;
  /** The issuer's link in a mail's text that starts with `path`. */
  linkIn(mail: ParsedMail, path: string): string;
  /** Refuse every mail with this SMTP code until told otherwise (a failing relay). */
  refuseWith(code: number | undefined): void;
  close(): Promise<void>;
}

export async function startMailbox(options: { user?: string; password?: string } = {}): Promise<Mailbox> {
  const mails: ParsedMail[] = [];
  let refusal: number | undefined;
  const server = new SMTPServer({
    // Loopback only; no TLS here (the transport allows plain SMTP to a loopback host only).
    disabledCommands: options.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      if (refusal) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: refusal })));
        return;
      }
      simpleParser(stream).then((mail) => { mails.push(mail); callback(); }, (err: Error) => callback(err));
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const credentials = options.user ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? '')}@` : '';
  const addressOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((to) => to?.value ?? []).map((v) => v.address?.toLowerCase());
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails,
    async waitFor(to, subject, since = 0) {
      for (let waited = 0; waited < 10_000; waited += 50) {
        const found = mails.slice(since).find((mail) => addressOf(mail).includes(to.toLowerCase()) && subject.test(mail.subject ?? ''));
        if (found) return found;
        await sleep(50);
      }
      throw new Error(`no mail to ${to} matching ${String(subject)} within 10 s; received: ${mails.map((m) => `${addressOf(m).join(',')}: ${m.subject}`).join('; ') || 'none'}`);
    },
    linkIn(mail, path) {
      const link = (mail.text ?? '').match(/https?:\/\/\S+/g)?.find((url) => new URL(url).pathname.startsWith(path));
      if (!link) throw new Error(`no link to ${path} in the mail "${mail.subject}"`);
      return link;
    },
    refuseWith(code) { refusal = code; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
