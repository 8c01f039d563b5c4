// How portal pages show things to people: dates with their time zone, and form errors tied to
// their field. Passed to every portal view by showPage (context.ts).

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC',
});

/** `28 Nov 2026, 10:54 UTC`; an empty string for no date. Accepts a Date or an ISO string. */
export function formatDate(value: Date | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const parts = Object.fromEntries(DATE.formatToParts(date).map((part) => [part.type, part.value]));
  return `${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} UTC`;
}

/** Field name -> message, in plain words, shown beside the field. */
export type FieldErrors = Record<string, string>;

/** The attributes that tie a field to its error message (partials/field-error.ejs renders the message). */
export function fieldAttributes(errors: FieldErrors, name: string): string {
  return errors[name] ? ` aria-invalid="true" aria-describedby="${name}-error"` : '';
}

/** A sentence for people from a validator's message: capital first letter, a full stop. */
export function plainWords(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * A service's message about a field in words for a form: the field's name (`expires_at`) becomes
 * its label (`The expiry`), as a sentence.
 */
export function inWords(message: string, field: string, label: string): string {
  const text = message.replace(/^give at least one scope$/, 'choose at least one scope');
  return plainWords(text.startsWith(`${field} `) ? `${label} ${text.slice(field.length + 1)}` : text);
}

/** A browser in a few words, from its user agent: enough to recognise it, never to track it. */
export function describeBrowser(userAgent: string): string {
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrome\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari' : /curl|node|undici/i.test(userAgent) ? 'A program' : 'A browser';
  const system = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Mac OS X/.test(userAgent) ? 'macOS'
    : /Windows/.test(userAgent) ? 'Windows' : /Linux/.test(userAgent) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}
