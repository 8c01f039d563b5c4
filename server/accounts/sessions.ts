// Portal sessions: a signed-in user of an account managing its API keys in the browser.
// The cookie holds a random id; the store holds only its SHA-256, with the user, the account, the
// session's CSRF token and the user's session generation when it was made. Cookies are HttpOnly,
// SameSite=Strict, Path=/, and on an https issuer Secure and named `__Host-…`: browsers then refuse
// such a cookie unless it is Secure, host-only and Path=/, so a sibling subdomain or a plain-http
// response cannot plant or overwrite it. On an http (localhost) issuer browsers would refuse the
// prefix, so the plain name stays.
// "Sign out everywhere" bumps the user's generation (a record of the same store): every session
// made before it stops counting at once, without a store method to find sessions by user.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { OidcModelStore, User } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';

const SESSION_COOKIE = 'latchkey_portal';
const MODEL = 'PortalSession';
const GENERATION_MODEL = 'PortalUserGeneration';
const MAX_COOKIE_LENGTH = 100;

export interface PortalSession {
  readonly userId: string;
  readonly accountId: string;
  readonly csrf: string;
}

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class PortalSessions {
  // Sessions live in the expiring-record store oidc-provider's models use, under their own model name.
  readonly #records: OidcModelStore;
  readonly #secure: boolean;
  readonly #cookie: string;

  constructor(records: OidcModelStore, issuer: string) {
    this.#records = records;
    this.#secure = issuer.startsWith('https:');
    this.#cookie = this.cookieName(SESSION_COOKIE);
  }

  /** The name of a portal cookie (set with cookieOptions()) on this issuer. */
  cookieName(name: string): string {
    return this.#secure ? `__Host-${name}` : name;
  }

  cookieOptions() {
    return { httpOnly: true, sameSite: 'strict' as const, secure: this.#secure, path: '/', overwrite: true, signed: false };
  }

  /** The user's current generation: a session made under another one no longer counts. */
  async #generation(userId: string): Promise<string> {
    const found = await this.#records.find(GENERATION_MODEL, userId);
    return typeof found?.generation === 'string' ? found.generation : '0';
  }

  /** A new generation kept as long as any session made under it can live. */
  async #keepGeneration(userId: string, generation: string): Promise<void> {
    await this.#records.upsert(GENERATION_MODEL, userId, { generation }, LIFETIMES.session);
  }

  async create(ctx: Context, user: User): Promise<PortalSession> {
    const id = randomBytes(32).toString('base64url');
    const session: PortalSession = { userId: user.id, accountId: user.accountId, csrf: randomBytes(32).toString('base64url') };
    const generation = await this.#generation(user.id);
    // The new session must not outlive the record of its generation.
    if (generation !== '0') await this.#keepGeneration(user.id, generation);
    await this.#records.upsert(MODEL, digest(id), { ...session, generation }, LIFETIMES.session);
    ctx.cookies.set(this.#cookie, id, { ...this.cookieOptions(), maxAge: LIFETIMES.session * 1000 });
    return session;
  }

  /**
   * The raw value of the request's session cookie: secret material the server never stores (the
   * store keys sessions by its digest). reveal.ts derives its encryption key from it.
   */
  cookieValue(ctx: Context): string | undefined {
    const id = ctx.cookies.get(this.#cookie);
    return id && id.length <= MAX_COOKIE_LENGTH ? id : undefined;
  }

  async current(ctx: Context): Promise<PortalSession | undefined> {
    const id = this.cookieValue(ctx);
    if (!id) return undefined;
    const found = await this.#records.find(MODEL, digest(id));
    if (!found || typeof found.userId !== 'string' || typeof found.accountId !== 'string' || typeof found.csrf !== 'string') return undefined;
    const generation = typeof found.generation === 'string' ? found.generation : '0';
    if (generation !== await this.#generation(found.userId)) return undefined;
    return { userId: found.userId, accountId: found.accountId, csrf: found.csrf };
  }

  async destroy(ctx: Context): Promise<void> {
    const id = this.cookieValue(ctx);
    if (id) await this.#records.destroy(MODEL, digest(id));
    ctx.cookies.set(this.#cookie, '', { ...this.cookieOptions(), maxAge: 0 });
  }

  /** Ends every portal session of the user, on every device, this one included. */
  async destroyAll(ctx: Context, userId: string): Promise<void> {
    await this.#keepGeneration(userId, randomBytes(16).toString('base64url'));
    await this.destroy(ctx);
  }
}
