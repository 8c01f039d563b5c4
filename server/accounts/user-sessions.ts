// The one path that ends a user's sessions: a per-user "sessions valid after" time. A portal
// session, or a login session at the authorization server (oidc-provider's Session), made before it
// no longer counts, on every device, at once: oidc-provider cannot end another browser's session
// (RP-Initiated Logout ends only the calling browser's, and every request re-saves its session), so
// sessions are not deleted one by one but checked when loaded. "Sign out everywhere" moves the time,
// and so will a password change or reset and a member's removal. Grants and refresh tokens are not
// sessions: they survive.
import type { OidcModelStore } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';

/** Kept in the expiring-record store under the user's id, as long as any session can live. */
const MODEL = 'PortalUserGeneration';

export class UserSessions {
  readonly #records: OidcModelStore;

  constructor(records: OidcModelStore) {
    this.#records = records;
  }

  /** Sessions of the user made before this time (ms since the epoch) do not count; 0 when none ended. */
  async validAfter(userId: string): Promise<number> {
    const found = await this.#records.find(MODEL, userId);
    return typeof found?.validAfter === 'number' ? found.validAfter : 0;
  }

  /**
   * The generation a portal session of an earlier version recorded (before "valid after" existed):
   * a session whose generation differs was ended by a sign-out then.
   */
  async legacyGeneration(userId: string): Promise<string> {
    const found = await this.#records.find(MODEL, userId);
    return typeof found?.generation === 'string' ? found.generation : '0';
  }

  /** Ends every session of the user made until now, on every device. */
  async endAll(userId: string): Promise<void> {
    const generation = await this.legacyGeneration(userId);
    await this.#records.upsert(MODEL, userId, { validAfter: Date.now(), generation }, LIFETIMES.session);
  }

  /** Whether a session the user made at `madeAt` (ms) still counts. */
  async stillValid(userId: string, madeAt: number): Promise<boolean> {
    return madeAt >= await this.validAfter(userId);
  }
}
