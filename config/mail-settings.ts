// How mail leaves: LATCHKEY_SMTP_URL (or _FILE: it holds a password, and is never logged) and
// LATCHKEY_MAIL_FROM. `smtp://user:pass@host:587` sends with STARTTLS, which is required unless
// the host is loopback; `smtps://…:465` with TLS from the start. Options in the URL are refused
// rather than half-read (a `?ignoreTLS=true` must not pass silently). Without a URL, development
// and test write mails as files (server/mail/transport.ts); production refuses to start.
import { SettingsError } from './settings-error.ts';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (smtps). */
  readonly secure: boolean;
  /** STARTTLS or nothing: every host but loopback. */
  readonly requireTLS: boolean;
  readonly auth: { readonly user: string; readonly pass: string } | undefined;
  /** `smtp://host:587` without the credentials, for the boot log. */
  readonly description: string;
}

export interface MailSettings {
  readonly smtp: SmtpSettings | undefined;
  /** The From header: LATCHKEY_MAIL_FROM, or `Latchkey <no-reply@ISSUER's host>`. */
  readonly from: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseSmtpUrl(value: string): SmtpSettings {
  const fail = (problem: string) => new SettingsError('LATCHKEY_SMTP_URL', problem);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('not a URL; use smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw fail(`the scheme must be smtp: or smtps:, not ${url.protocol}`);
  if (!url.hostname) throw fail('no host');
  if (url.search || url.hash) throw fail('options in the URL are not read; give only scheme, credentials, host and port');
  if (url.pathname && url.pathname !== '/') throw fail('no path is read; give only scheme, credentials, host and port');
  const secure = url.protocol === 'smtps:';
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const user = decodeURIComponent(url.username);
  return {
    host,
    port,
    secure,
    requireTLS: !secure && !isLoopbackHost(host),
    auth: user ? { user, pass: decodeURIComponent(url.password) } : undefined,
    description: `${url.protocol}//${url.hostname}:${port}`,
  };
}

/** A From address: one mailbox, optionally with a display name; no line breaks. */
function parseFrom(value: string | undefined, issuer: string): string {
  if (!value) return `Latchkey <no-reply@${new URL(issuer).hostname}>`;
  if (/[\r\n]/.test(value) || !/^([^<>@]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(value.trim())) {
    throw new SettingsError('LATCHKEY_MAIL_FROM', 'must be one address, such as no-reply@example.com or "Example <no-reply@example.com>"');
  }
  return value.trim();
}

export function parseMailSettings(env: Readonly<Record<string, string | undefined>>, issuer: string, smtpUrl: string | undefined): MailSettings {
  return { smtp: smtpUrl ? parseSmtpUrl(smtpUrl.trim()) : undefined, from: parseFrom(env.LATCHKEY_MAIL_FROM, issuer) };
}
