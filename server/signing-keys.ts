// Signing keys that rotate without an outage. Each key has the time it starts signing
// (`activateAt`); its state follows from the clock:
//   next      published in the JWKS, not signing yet: resource servers fetch it before it is used;
//   active    signs (the newest activated key of its algorithm);
//   retiring  replaced, still published until every token it signed has expired;
//   retired   no longer published.
// Generated keys live in the store (`signing_keys`); `latchkey signing-keys rotate` adds one. Keys
// given in LATCHKEY_JWKS may carry their own `activate_at` (seconds since the epoch).
import { calculateJwkThumbprint, type JWK } from 'jose';
import { LIFETIMES, SIGNING_KEYS } from '../config/lifetimes.ts';

export type SigningAlg = 'ES256' | 'RS256';
export type SigningKeyState = 'next' | 'active' | 'retiring' | 'retired';

export interface SigningKeyEntry {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** The private JWK. */
  readonly jwk: JWK;
  /** Seconds since the epoch. */
  readonly createdAt: number;
  readonly activateAt: number;
}

export interface SigningKeyStatus {
  readonly entry: SigningKeyEntry;
  readonly state: SigningKeyState;
  /**
   * When a replaced key stops being published: its successor's activation plus the longest token
   * lifetime; undefined while it is simply listed after a key with no activation time.
   */
  readonly retireAt: number | undefined;
}

/** The store's record of generated signing keys. */
export const SIGNING_KEYS_SECRET = 'signing_keys';

/** A key stays published this long after its successor starts signing: every token it signed has expired by then. */
export const RETIRE_AFTER_SECONDS = Math.max(LIFETIMES.accessToken, LIFETIMES.idToken) + SIGNING_KEYS.retireMarginSeconds;

export function algOf(jwk: JWK): SigningAlg {
  return (jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256')) as SigningAlg;
}

export async function entryOf(jwk: JWK, activateAt: number, createdAt = activateAt): Promise<SigningKeyEntry> {
  const kid = jwk.kid ?? await calculateJwkThumbprint(jwk);
  return { kid, alg: algOf(jwk), jwk: { ...jwk, kid, alg: algOf(jwk), use: 'sig' }, createdAt, activateAt };
}

/** Each key's state at `now` (seconds). Per algorithm, the newest key whose time has come is active. */
export function statesOf(entries: readonly SigningKeyEntry[], now: number): SigningKeyStatus[] {
  const out: SigningKeyStatus[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    // Oldest first; among keys activating at once, the one listed first wins.
    const ofAlg = entries.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.alg === alg)
      .sort((a, b) => a.entry.activateAt - b.entry.activateAt || b.index - a.index).map(({ entry }) => entry);
    const activeIndex = ofAlg.findLastIndex((entry) => entry.activateAt <= now);
    ofAlg.forEach((entry, index) => {
      if (index > activeIndex) out.push({ entry, state: 'next', retireAt: undefined });
      else if (index === activeIndex) out.push({ entry, state: 'active', retireAt: undefined });
      else {
        // Replaced by a key with no activation time (keys listed in LATCHKEY_JWKS, newest first):
        // published for as long as it is listed, as before rotations had times.
        const successor = ofAlg[index + 1]!;
        const retireAt = successor.activateAt > 0 ? successor.activateAt + RETIRE_AFTER_SECONDS : undefined;
        out.push({ entry, state: retireAt === undefined || now < retireAt ? 'retiring' : 'retired', retireAt });
      }
    });
  }
  return out;
}

/**
 * The private JWK Set oidc-provider gets: every published key (next, active, retiring; /jwks shows
 * their public parts), the active key of each algorithm first, since it signs with the first that fits.
 */
export function providerKeys(entries: readonly SigningKeyEntry[], now: number): JWK[] {
  const rank: Record<SigningKeyState, number> = { active: 0, next: 1, retiring: 2, retired: 3 };
  return statesOf(entries, now).filter((s) => s.state !== 'retired')
    .sort((a, b) => rank[a.state] - rank[b.state]).map((s) => s.entry.jwk);
}

/** The next time a key changes state after `now` (seconds), if any: the server rebuilds then. */
export function nextTransition(entries: readonly SigningKeyEntry[], now: number): number | undefined {
  const times = statesOf(entries, now).flatMap((s) => [s.entry.activateAt, s.retireAt ?? 0]).filter((t) => t > now);
  return times.length ? Math.min(...times) : undefined;
}

/**
 * The entries of a JWK Set (LATCHKEY_JWKS, or the one generated at first boot): each key activates
 * at its `activate_at` member (seconds since the epoch) when it has one, else at once. The store's
 * `signing_keys` record, when there is one, holds the generated keys and every rotation since.
 */
export async function signingKeyEntries(jwks: { keys: JWK[] }, stored: string | undefined): Promise<SigningKeyEntry[]> {
  if (stored !== undefined) return parseEntries(stored);
  return Promise.all(jwks.keys.map((key) => {
    const { activate_at: activateAt, ...jwk } = key as JWK & { activate_at?: unknown };
    return entryOf(jwk, typeof activateAt === 'number' ? activateAt : 0);
  }));
}

export function parseEntries(raw: string): SigningKeyEntry[] {
  return (JSON.parse(raw) as { keys: SigningKeyEntry[] }).keys;
}

export function serializeEntries(entries: readonly SigningKeyEntry[]): string {
  return JSON.stringify({ keys: entries });
}
