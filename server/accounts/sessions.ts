// Portal sessions: a signed-in user of an account managing its API keys in the browser.
// The cookie holds a random id; the store holds only its SHA-256, with the user, the account, the
// session's CSRF token and the user's session generation when it was made. Cookies are HttpOnly,
// SameSite=Lax, Path=/, and on an https issuer Secure and named `__Host-…`: browsers then refuse
// such a cookie unless it is Secure, host-only and Path=/, so a sibling subdomain or a plain-http
// response cannot plant or overwrite it. On an http (localhost) issuer browsers would refuse the
// prefix, so the plain name stays. Lax, not Strict: a partner's link to /auth (or a mailed link) is a
// navigation from another site, and a Strict cookie would not come with it, so the portal sign-in
// could not complete the app's login (one sign-in). Every change is a POST with a CSRF token, which
// Lax cookies do not accompany from another site either, and no GET changes anything.
// "Sign out everywhere" ends every session of the user through the one path for that
// (user-sessions.ts): a session made before the user's "valid after" time stops counting at once.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Account, AccountPolicy, OidcModelStore, User } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { originOf } from './account-events.ts';
import { TOUCH_EVERY_MS, UserSessions, type Place } from './user-sessions.ts';

const SESSION_COOKIE = 'latchkey_portal';
const MODEL = 'PortalSession';
const MAX_COOKIE_LENGTH = 100;

export interface PortalSession {
  readonly userId: string;
  readonly accountId: string;
  readonly csrf: string;
  /** When the user signed in (ms): a step-up needs a recent one; the authorization server's login reuses it. */
  readonly signedInAt: number;
  /** How the user signed in (`pwd`, then `otp` with a second factor): the ID token's amr. */
  readonly amr: readonly string[];
  /** The user as stored now, read with the session (verification and two-factor change while it lives). */
  readonly user: User;
  /** This browser's place (the session's storage key): the security page marks it and never lists it as another. */
  readonly place: string;
  /** The account's policy as stored now (two-factor required, live credentials for admins). */
  readonly policy: AccountPolicy;
  /** The account's name, read with it (the portal's header shows it). */
  readonly accountName: string;
}

/** What a session reads of its account on every request: one read, for the policy and the header's name. */
export type AccountOfSession = Pick<Account, 'name' | 'policy'>;

const NO_POLICY: AccountPolicy = { requireTwoFactor: false, liveAdminsOnly: false };

/** How a user signed in, for a new session. */
export interface SignInMethod {
  readonly amr: readonly string[];
}

/** The account requires two-factor of every member, and this one has not set it up: they may only enrol. */
export function mustEnrolTwoFactor(session: { readonly policy: AccountPolicy; readonly user: Pick<User, 'totp'> }): boolean {
  return session.policy.requireTwoFactor && !session.user.totp;
}

const digest = (id: string) => hash('sha256', id, 'base64url');

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
  readonly #users: UserSessions;

  readonly #findUser: (id: string) => Promise<User | undefined>;
  readonly #findAccount: (accountId: string) => Promise<AccountOfSession | undefined>;

  constructor(
    records: OidcModelStore, issuer: string, findUser: (id: string) => Promise<User | undefined>,
    findAccount: (accountId: string) => Promise<AccountOfSession | undefined> = async () => undefined,
  ) {
    this.#records = records;
    this.#findUser = findUser;
    this.#findAccount = findAccount;
    this.#users = new UserSessions(records);
    this.#secure = issuer.startsWith('https:');
    this.#cookie = this.cookieName(SESSION_COOKIE);
  }

  /** The name of a portal cookie (set with cookieOptions()) on this issuer. */
  cookieName(name: string): string {
    return this.#secure ? `__Host-${name}` : name;
  }

  cookieOptions() {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.#secure, path: '/', overwrite: true, signed: false };
  }

  async create(ctx: Context, user: User, method: SignInMethod = { amr: ['pwd'] }): Promise<PortalSession> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const where = originOf(ctx);
    const stored = { userId: user.id, accountId: user.accountId, csrf: randomBytes(32).toString('base64url'), amr: [...method.amr], ...where };
    await this.#records.upsert(MODEL, digest(id), { ...stored, createdAt: now, lastSeenAt: now }, LIFETIMES.session);
    await this.#users.touch(user.id, { id: digest(id), ...where, createdAt: now, lastSeenAt: now });
    ctx.cookies.set(this.#cookie, id, { ...this.cookieOptions(), maxAge: LIFETIMES.session * 1000 });
    const account = await this.#findAccount(user.accountId);
    return {
      userId: user.id, accountId: user.accountId, csrf: stored.csrf, amr: stored.amr, signedInAt: now, user, place: digest(id),
      policy: account?.policy ?? NO_POLICY, accountName: account?.name ?? user.accountId,
    };
  }

  /** This browser's place: the storage key of its portal session, when it has one (the adapter tags login sessions with it). */
  placeOf(ctx: Context): string | undefined {
    const id = this.cookieValue(ctx);
    return id ? digest(id) : undefined;
  }

  /** The places the user is signed in from, most recently seen first. */
  places(userId: string): Promise<Place[]> {
    return this.#users.places(userId);
  }

  /** Signs one place out: its portal session and the authorization-server session started with it. */
  async endPlace(userId: string, placeId: string): Promise<void> {
    await this.#users.end(userId, placeId);
    await this.#records.destroy(MODEL, placeId);
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
    const place = digest(id);
    if (!await this.#stillValid(found, place)) return undefined;
    const user = await this.#findUser(found.userId);
    // A removed member (deleted) or one moved to another account no longer counts.
    if (!user || user.accountId !== found.accountId) return undefined;
    const account = await this.#findAccount(user.accountId);
    const amr = Array.isArray(found.amr) ? found.amr.map(String) : ['pwd'];
    const signedInAt = typeof found.createdAt === 'number' ? found.createdAt : 0;
    await this.#seen(found, place);
    return {
      userId: found.userId, accountId: found.accountId, csrf: found.csrf, signedInAt, amr, user, place,
      policy: account?.policy ?? NO_POLICY, accountName: account?.name ?? found.accountId,
    };
  }

  /** Last seen: written at most every TOUCH_EVERY_MS, which also lists the place again if it dropped out. */
  async #seen(found: Record<string, unknown>, place: string): Promise<void> {
    const now = Date.now();
    const lastSeenAt = typeof found.lastSeenAt === 'number' ? found.lastSeenAt : 0;
    if (now - lastSeenAt < TOUCH_EVERY_MS) return;
    await this.#records.upsert(MODEL, place, { ...found, lastSeenAt: now }, LIFETIMES.session);
    await this.#users.touch(String(found.userId), {
      id: place, userAgent: typeof found.userAgent === 'string' ? found.userAgent : 'an unknown browser',
      address: typeof found.address === 'string' ? found.address : '',
      createdAt: typeof found.createdAt === 'number' ? found.createdAt : now, lastSeenAt: now,
    });
  }

  /** The user signed in again in this browser (a step-up): the session counts from now, with how. */
  async renew(ctx: Context, method: SignInMethod): Promise<void> {
    const id = this.cookieValue(ctx);
    const found = id ? await this.#records.find(MODEL, digest(id)) : undefined;
    if (!id || !found) return;
    await this.#records.upsert(MODEL, digest(id), { ...found, amr: [...method.amr], createdAt: Date.now() }, LIFETIMES.session);
  }

  /**
   * Ends this browser's session: the cookie is cleared at once (before any await), then its place
   * ends (with the authorization-server session started with it) and the record goes.
   */
  async destroy(ctx: Context): Promise<void> {
    const id = this.cookieValue(ctx);
    ctx.cookies.set(this.#cookie, '', { ...this.cookieOptions(), maxAge: 0 });
    if (!id) return;
    const found = await this.#records.find(MODEL, digest(id));
    if (typeof found?.userId === 'string') await this.#users.end(found.userId, digest(id));
    await this.#records.destroy(MODEL, digest(id));
  }

  /** Ends every session of the user (portal and authorization server), on every device, this one included. */
  async destroyAll(ctx: Context, userId: string): Promise<void> {
    await this.endAllOf(userId);
    await this.destroy(ctx);
  }

  /** Ends every session of the user on every device, from anywhere (a password reset has no session). */
  async endAllOf(userId: string): Promise<void> {
    await this.#users.endAll(userId);
  }

  /** Made after the user's sessions last ended; a session of an earlier version keeps its generation check. */
  async #stillValid(found: Record<string, unknown>, place: string): Promise<boolean> {
    const userId = String(found.userId);
    if (typeof found.createdAt === 'number') return this.#users.stillValid(userId, found.createdAt, place);
    return this.#users.stillValidLegacy(userId, typeof found.generation === 'string' ? found.generation : '0');
  }
}
