// A secret shown once, on the page a redirect leads to (post/redirect/get): the POST that made it
// stashes it here and redirects; the GET takes it, which deletes it, and shows it. Reloading that
// page, or going back, shows nothing more and makes nothing new.
// The store keeps only ciphertext: AES-256-GCM under a key derived (HKDF) from the raw value of the
// portal session cookie, which the server never stores. The record's id is a digest of that value
// and the kind, so another session (another cookie) neither finds nor decrypts it.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { OidcModelStore } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import type { PortalSessions } from '../accounts/sessions.ts';

const MODEL = 'PortalReveal';
const KEY_INFO = 'latchkey portal reveal v1';
const IV_BYTES = 12;

export type RevealPayload = Readonly<Record<string, string>>;

export interface RevealDeps {
  readonly store: { readonly oidc: OidcModelStore };
  readonly sessions: PortalSessions;
}

const recordId = (cookie: string, kind: string) => createHash('sha256').update(`${kind}\0${cookie}`).digest('base64url');
const keyOf = (cookie: string, kind: string) => Buffer.from(hkdfSync('sha256', cookie, '', `${KEY_INFO}\0${kind}`, 32));

function cookieOf(ctx: Context, sessions: PortalSessions): string {
  const cookie = sessions.cookieValue(ctx);
  if (!cookie) throw new Error('a reveal needs a portal session');
  return cookie;
}

/**
 * Keeps `payload` (the new secret and what the page needs to name it) for the next page of this
 * session, encrypted, for LIFETIMES.secretReveal. `kind` keeps keys and app secrets apart.
 */
export async function stashReveal(ctx: Context, deps: RevealDeps, kind: string, payload: RevealPayload): Promise<void> {
  const cookie = cookieOf(ctx, deps.sessions);
  const id = recordId(cookie, kind);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(cookie, kind), iv);
  cipher.setAAD(Buffer.from(id));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  const value = [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.');
  await deps.store.oidc.upsert(MODEL, id, { sealed: value }, LIFETIMES.secretReveal);
}

/** The stashed payload of this session and kind, once: it is deleted as it is read. */
export async function takeReveal(ctx: Context, deps: RevealDeps, kind: string): Promise<RevealPayload | undefined> {
  const cookie = deps.sessions.cookieValue(ctx);
  if (!cookie) return undefined;
  const id = recordId(cookie, kind);
  const found = await deps.store.oidc.find(MODEL, id);
  // consume() is atomic: of two pages loading at once, only one shows the secret.
  if (!found || !await deps.store.oidc.consume(MODEL, id)) return undefined;
  await deps.store.oidc.destroy(MODEL, id);
  const [iv, tag, sealed] = String(found.sealed).split('.').map((part) => Buffer.from(part, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(cookie, kind), iv!);
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(tag!);
    const plain = Buffer.concat([decipher.update(sealed!), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as RevealPayload;
  } catch {
    // Tampered or unreadable: nothing to show, and nothing to show it with.
    return undefined;
  }
}
