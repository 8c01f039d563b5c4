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

  /** The user's record, read once: sessions made before `validAfter` (ms; 0 when none ended) do not count. */
  async #state(userId: string): Promise<{ validAfter: number; generation: string }> {
    const found = await this.#records.find(MODEL, userId);
    return {
      validAfter: typeof found?.validAfter === 'number' ? found.validAfter : 0,
      // What an earlier version kept instead: a portal session recorded the generation it was made under.
      generation: typeof found?.generation === 'string' ? found.generation : '0',
    };
  }

  /** Ends every session of the user made until now, on every device. */
  async endAll(userId: string): Promise<void> {
    const { generation } = await this.#state(userId);
    await this.#records.upsert(MODEL, userId, { validAfter: Date.now(), generation }, LIFETIMES.session);
  }

  /** Whether a session the user made at `madeAt` (ms) still counts. */
  async stillValid(userId: string, madeAt: number): Promise<boolean> {
    return madeAt >= (await this.#state(userId)).validAfter;
  }

  /**
   * Whether a portal session of an earlier version (which recorded a generation, not a time) still
   * counts: made under the current generation, and no sign-out everywhere since.
   */
  async stillValidLegacy(userId: string, generation: string): Promise<boolean> {
    const state = await this.#state(userId);
    return state.generation === generation && state.validAfter === 0;
  }
}
