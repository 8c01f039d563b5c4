// Client logos: uploaded, or fetched once at registration, then served from our own origin (so the
// consent page never loads a partner's URL). Only raster images whose first bytes say what they
// are; never SVG, which is a document that can carry script.
import type { ClientLogo } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';
import { ValidationError } from '../../config/errors.ts';
import { checkWebhookTarget } from '../http/outbound-url.ts';

type LogoType = ClientLogo['contentType'];

const SIGNATURES: { type: LogoType; matches: (b: Uint8Array) => boolean }[] = [
  { type: 'image/png', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/gif', matches: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a') },
  { type: 'image/webp', matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function ascii(bytes: Uint8Array, offset: number, text: string): boolean {
  return bytes.length >= offset + text.length && [...text].every((c, i) => bytes[offset + i] === c.charCodeAt(0));
}

const ALLOWED = 'a PNG, JPEG, GIF or WebP image';

/** The declared type without parameters, lower case (`image/png; x=y` -> `image/png`). */
function mediaType(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A logo from its bytes: the first bytes decide the type, and must agree with the declared type
 * when one is given (an upload labelled image/png that is not one is refused, not relabelled).
 */
export function readLogo(bytes: Uint8Array, declaredType?: string, field = 'logo'): ClientLogo {
  if (bytes.length === 0) throw new ValidationError(field, `the logo is empty; send ${ALLOWED}`);
  if (bytes.length > LIMITS.logoMaxBytes) throw new ValidationError(field, `the logo must be at most ${LIMITS.logoMaxBytes / 1024} KiB`);
  const declared = mediaType(declaredType);
  if (declared.includes('svg')) throw new ValidationError(field, `SVG logos are not accepted; send ${ALLOWED}`);
  const found = SIGNATURES.find((s) => s.matches(bytes));
  if (!found) throw new ValidationError(field, `the logo must be ${ALLOWED}`);
  const generic = declared === '' || declared === 'application/octet-stream';
  if (!generic && declared !== found.type && !(declared === 'image/jpg' && found.type === 'image/jpeg')) {
    throw new ValidationError(field, `the logo is declared as ${declared.replace(/[^\w/.+-]/g, '')} but its content is ${found.type}`);
  }
  return { contentType: found.type, bytes };
}

/** The same address rules as webhook targets (no private, metadata or, in production, loopback hosts). */
async function checkLogoUrl(href: string, production: boolean): Promise<URL> {
  const url = URL.parse(href);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new ValidationError('logo_url', 'logo_url must be an http or https URL without a user name or password');
  }
  try {
    await checkWebhookTarget(url.href, production);
  } catch (err) {
    if (!(err instanceof LatchkeyError)) throw err;
    throw new ValidationError('logo_url', err.message.replace(/^url: /, 'logo_url ').replace(/webhooks must go/, 'logos must come from'));
  }
  return url;
}

async function readLimited(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > LIMITS.logoMaxBytes) throw new ValidationError('logo_url', `the logo must be at most ${LIMITS.logoMaxBytes / 1024} KiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Fetches a logo once, at registration: one request, no redirects, LIMITS.logoFetchTimeoutMs in
 * all, at most LIMITS.logoMaxBytes read. Refusals name the field logo_url and never repeat the body.
 */
export async function fetchLogo(href: string, production: boolean): Promise<ClientLogo> {
  const url = await checkLogoUrl(href, production);
  const signal = AbortSignal.timeout(LIMITS.logoFetchTimeoutMs);
  try {
    const response = await fetch(url, { redirect: 'manual', signal, headers: { accept: 'image/png, image/jpeg, image/gif, image/webp' } });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new ValidationError('logo_url', `fetching the logo answered HTTP ${response.status}; give a URL that answers 200 with the image (redirects are not followed)`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > LIMITS.logoMaxBytes) {
      await response.body.cancel();
      throw new ValidationError('logo_url', `the logo must be at most ${LIMITS.logoMaxBytes / 1024} KiB`);
    }
    return readLogo(await readLimited(response.body), response.headers.get('content-type') ?? undefined, 'logo_url');
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const timedOut = signal.aborted;
    throw new ValidationError('logo_url', timedOut
      ? `fetching the logo took longer than ${LIMITS.logoFetchTimeoutMs / 1000} seconds`
      : 'the logo could not be fetched from that URL');
  }
}
