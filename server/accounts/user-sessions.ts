// The one path that ends a user's sessions: a per-user "sessions valid after" time, and the places
// (browsers) the user signed in from, each of which can be ended alone. A portal session, or a login
// session at the authorization server (oidc-provider's Session), made before the time or belonging to
// an ended place no longer counts, at once: oidc-provider cannot end another browser's session
// (RP-Initiated Logout ends only the calling browser's, and every request re-saves its session), so
// sessions are not deleted one by one but checked when loaded. "Sign out everywhere" moves the time,
// and so do a password change or reset. Grants and refresh tokens are not sessions: they survive.
// The places list is read, changed and written back: two sign-ins in the same instant may leave one
// out of the list, and it comes back at its next visit (touch); the list never decides validity of
// anything but an ended place.
import type { OidcModelStore } from '../../adapters/contract.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';

/** Kept in the expiring-record store under the user's id, as long as any session can live. */
const MODEL = 'PortalUserGeneration';
/** The most places listed (and ended places remembered) per user; the oldest go first. */
const MAX_PLACES = 50;
/** A place's "last seen" is written at most this often. */
export const TOUCH_EVERY_MS = 5 * 60 * 1000;

/** One browser the user is signed in with: its portal session, and the authorization-server session started with it. */
export interface Place {
  /** The portal session's storage key (a hash of its cookie): the place's id. */
  readonly id: string;
  readonly userAgent: string;
  readonly address: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

interface State {
  validAfter: number;
  generation: string;
  places: Place[];
  ended: string[];
}

export class UserSessions {
  readonly #records: OidcModelStore;

  constructor(records: OidcModelStore) {
    this.#records = records;
  }

  /** The user's record, read once: sessions made before `validAfter` (ms; 0 when none ended) do not count. */
  async #state(userId: string): Promise<State> {
    const found = await this.#records.find(MODEL, userId);
    return {
      validAfter: typeof found?.validAfter === 'number' ? found.validAfter : 0,
      // What an earlier version kept instead: a portal session recorded the generation it was made under.
      generation: typeof found?.generation === 'string' ? found.generation : '0',
      places: Array.isArray(found?.places) ? (found.places as Place[]) : [],
      ended: Array.isArray(found?.ended) ? (found.ended as string[]) : [],
    };
  }

  async #save(userId: string, state: State): Promise<void> {
    await this.#records.upsert(MODEL, userId, {
      ...state, places: state.places.slice(-MAX_PLACES), ended: state.ended.slice(-MAX_PLACES),
    }, LIFETIMES.session);
  }

  /** Ends every session of the user made until now, on every device. */
  async endAll(userId: string): Promise<void> {
    const state = await this.#state(userId);
    await this.#save(userId, { ...state, validAfter: Date.now(), places: [] });
  }

  /** Whether a session the user made at `madeAt` (ms) still counts; with `place`, also that the place was not ended. */
  async stillValid(userId: string, madeAt: number, place?: string): Promise<boolean> {
    const state = await this.#state(userId);
    return madeAt >= state.validAfter && !(place && state.ended.includes(place));
  }

  /**
   * Whether a portal session of an earlier version (which recorded a generation, not a time) still
   * counts: made under the current generation, and no sign-out everywhere since.
   */
  async stillValidLegacy(userId: string, generation: string): Promise<boolean> {
    const state = await this.#state(userId);
    return state.generation === generation && state.validAfter === 0;
  }

  async places(userId: string): Promise<Place[]> {
    return (await this.#state(userId)).places.toSorted((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** A new place, or one seen again (listed again if it had dropped out of the list). */
  async touch(userId: string, place: Place): Promise<void> {
    const state = await this.#state(userId);
    await this.#save(userId, { ...state, places: [...state.places.filter((p) => p.id !== place.id), place] });
  }

  /** Ends one place: its portal session and the authorization-server session started with it stop counting. */
  async end(userId: string, placeId: string): Promise<void> {
    const state = await this.#state(userId);
    await this.#save(userId, {
      ...state, places: state.places.filter((p) => p.id !== placeId), ended: [...state.ended.filter((id) => id !== placeId), placeId],
    });
  }
}
