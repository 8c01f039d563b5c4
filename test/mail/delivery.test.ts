// Mail through a real SMTP server on loopback (smtp-server, with a password): the sign-up's link
// arrives and confirms the address; a refused mail is retried; a sender that dies between the
// hand-off and the mark leaves the mail to another, which sends the same message (same Message-ID).
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Browser } from '../../packages/form-browser/browser.ts';
import { MailWorker } from '../../server/mail/worker.ts';
import { startMailbox, type Mailbox } from '../helpers/mailbox.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { silentLogger } from '../../server/log.ts';
import { newOwner, postSignUp } from '../portal/helpers.ts';

describe('mail through SMTP', function () {
  this.timeout(30_000);
  let mailbox: Mailbox;
  let server: TestServer;
  const smtpPassword = `smtp-${Date.now()}-secret`;

  before(async () => {
    recordSecret(smtpPassword);
    mailbox = await startMailbox({ user: 'latchkey', password: smtpPassword });
    server = await startServer({ env: { LATCHKEY_SMTP_URL: mailbox.url, LATCHKEY_MAIL_FROM: 'Acme Auth <auth@acme.example>' } });
  });
  after(async () => {
    await server?.stop({ removeData: true });
    await mailbox?.close();
  });

  it('delivers the sign-up link, in text and HTML, from the From address, with a Message-ID of the outbox id', async () => {
    const owner = newOwner('Mailed Co');
    const answer = await postSignUp(new Browser(), server.issuer, owner);
    expect(answer.status).to.equal(200);
    const mail = await mailbox.waitFor(owner.email, /Confirm your email address/);
    expect(mail.from?.value).to.deep.equal([{ name: 'Acme Auth', address: 'auth@acme.example' }]);
    expect(mail.messageId).to.match(/^<mail_[0-9A-Za-z]+@localhost>$/);
    expect(mail.html).to.include('Confirm my address');
    const link = mailbox.linkIn(mail, '/portal/verify');
    expect(link.startsWith(`${server.issuer}/portal/verify?link=`)).to.equal(true);
    const outbox = await server.latchkey.store.listMails(20);
    const queued = outbox.find((m) => `<${m.id}@localhost>` === mail.messageId);
    expect(queued?.status).to.equal('sent');
    expect(queued?.sealed, 'the link is not at rest in plaintext').not.to.include(new URL(link).searchParams.get('link')!);
    expect(server.latchkey.mailer.transport.description).to.include('127.0.0.1').and.not.include(smtpPassword);
  });

  it('retries a mail the server refused, and then delivers it', async () => {
    mailbox.refuseWith(451);
    const owner = newOwner('Retried Co');
    await postSignUp(new Browser(), server.issuer, owner);
    let queued;
    for (let waited = 0; waited < 5000 && !queued?.attempts; waited += 100) {
      await sleep(100);
      queued = (await server.latchkey.store.listMails(50)).find((m) => m.to === owner.email);
    }
    expect(queued).to.deep.include({ status: 'pending', attempts: 1 });
    expect(queued?.lastError).to.include('451');
    mailbox.refuseWith(undefined);
    const mail = await mailbox.waitFor(owner.email, /Confirm your email address/).catch(async () => {
      // The first retry waits MAIL_DELIVERY.retrySchedule[0] (10 s): give it that long.
      await sleep(11_000);
      return mailbox.waitFor(owner.email, /Confirm your email address/);
    });
    expect(mail.messageId).to.equal(`<${queued?.id ?? "(none)"}@localhost>`);
  });

  it('a sender that dies after the hand-off leaves the mail to another, which sends the same message', async () => {
    const { store, mailer } = server.latchkey;
    // This instance's worker stands aside; a dead one and a live one share the outbox.
    await mailer.worker.stop();
    const message = await mailer.compose('password_reset', 'crash@example.com', { email: 'crash@example.com', link: `${server.issuer}/portal/reset?link=x` });
    await store.writeAlong({ mails: [message] });
    const since = mailbox.mails.length;
    const [claimed] = await store.claimMails('dead-instance', new Date(), 10, 1);
    expect(claimed?.id).to.equal(message.id);
    await mailer.transport.send({ id: claimed!.id, to: claimed!.to, content: mailer.sealer.open(claimed!) }); // handed off, then it died
    const first = await mailbox.waitFor('crash@example.com', /Reset your Latchkey password/, since);
    await sleep(1100); // its lease ends
    const survivor = new MailWorker({ store, sealer: mailer.sealer, transport: mailer.transport, log: silentLogger });
    expect(await survivor.tick()).to.equal(1);
    const second = await mailbox.waitFor('crash@example.com', /Reset your Latchkey password/, mailbox.mails.indexOf(first) + 1);
    expect(second.messageId, 'the same message, recognisably').to.equal(first.messageId);
    expect((await store.listMails(50)).find((m) => m.id === message.id)?.status).to.equal('sent');
  });
});
