// How mail leaves (config/mail-settings.ts, server/mail/transport.ts): the SMTP URL's rules, the From
// address, and production refusing to start without a mail server.
import { expect } from 'chai';
import { parseMailSettings, parseSmtpUrl } from '../../config/mail-settings.ts';
import { SettingsError } from '../../config/settings-error.ts';
import { createMailTransport, messageId } from '../../server/mail/transport.ts';

const issuer = 'https://auth.example.com';

describe('mail settings', () => {
  it('requires STARTTLS for every host but loopback, and TLS from the start with smtps', () => {
    expect(parseSmtpUrl('smtp://mail.example.com')).to.deep.include({ host: 'mail.example.com', port: 587, secure: false, requireTLS: true });
    expect(parseSmtpUrl('smtps://mail.example.com')).to.deep.include({ port: 465, secure: true, requireTLS: false });
    expect(parseSmtpUrl('smtp://127.0.0.1:2525')).to.deep.include({ port: 2525, requireTLS: false });
    expect(parseSmtpUrl('smtp://localhost:25')).to.deep.include({ requireTLS: false });
    expect(parseSmtpUrl('smtp://[::1]:25')).to.deep.include({ host: '::1', requireTLS: false });
  });

  it('decodes the credentials, and never puts the password in the description', () => {
    const parsed = parseSmtpUrl('smtp://postmaster%40example.com:p%40ss%3Aword@mail.example.com:587');
    expect(parsed.auth).to.deep.equal({ user: 'postmaster@example.com', pass: 'p@ss:word' });
    expect(parsed.description).to.equal('smtp://mail.example.com:587').and.not.include('ss');
  });

  it('refuses another scheme, options in the URL and a path, naming the variable', () => {
    for (const [url, words] of [
      ['http://mail.example.com', 'smtp: or smtps:'], ['smtp://mail.example.com?ignoreTLS=true', 'options in the URL'],
      ['smtp://mail.example.com/x', 'no path'], ['not a url', 'not a URL'],
    ] as const) {
      expect(() => parseSmtpUrl(url), url).to.throw(SettingsError, words).with.property('variable', 'LATCHKEY_SMTP_URL');
    }
  });

  it('takes the From address from LATCHKEY_MAIL_FROM, or makes one on the issuer\'s host', () => {
    expect(parseMailSettings({}, issuer, undefined).from).to.equal('Latchkey <no-reply@auth.example.com>');
    expect(parseMailSettings({ LATCHKEY_MAIL_FROM: 'Acme <auth@acme.example>' }, issuer, undefined).from).to.equal('Acme <auth@acme.example>');
    for (const bad of ['not an address', 'a@b.example\r\nBcc: x@y.example', 'two@a.example, three@b.example']) {
      expect(() => parseMailSettings({ LATCHKEY_MAIL_FROM: bad }, issuer, undefined), bad).to.throw(SettingsError, 'LATCHKEY_MAIL_FROM');
    }
  });

  it('production refuses to start without LATCHKEY_SMTP_URL; development writes files', () => {
    const settings = parseMailSettings({}, issuer, undefined);
    expect(() => createMailTransport(settings, { issuer, dataDir: '/tmp/x', production: true }))
      .to.throw(SettingsError, 'required in production').with.property('variable', 'LATCHKEY_SMTP_URL');
    expect(createMailTransport(settings, { issuer, dataDir: '/tmp/x', production: false }).files).to.equal(true);
  });

  it('makes the Message-ID from the outbox id, so a resend is the same message', () => {
    expect(messageId('mail_abc', issuer)).to.equal('<mail_abc@auth.example.com>');
  });
});
