// Each instance follows the key material kept in the store: it reads it every few seconds (a
// rotation made by the CLI or another instance) and wakes at the next signing-key activation or
// retirement. When the signing keys or cookie keys oidc-provider should hold change, they are
// replaced and the provider rebuilt; a generated pepper's new version is taken in place.
import { LatchkeyError } from '../../config/errors.ts';
import { SIGNING_KEYS, humanDuration } from '../../config/lifetimes.ts';
import { dropRetiredSigningKeys, rotateSigningKeys, rotationDue } from './signing-key-rotation.ts';
import { parseCookieKeys, parsePepper } from '../keys.ts';
import { SIGNING_KEYS_SECRET, nextTransition, parseEntries, providerKeys, statesOf, type SigningKeyEntry } from '../signing-keys.ts';
import type { Dependencies } from './dependencies.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const kidsOf = (keys: readonly { kid?: string }[]) => keys.map((k) => k.kid).join(' ');

export function watchKeyMaterial(d: Dependencies, rebuild: () => void): { stop(): void } {
  const { keys, store, log } = d;
  let entries: SigningKeyEntry[] = keys.signingKeys;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function check(): Promise<void> {
    try {
      if (!keys.signingKeysGiven) {
        const raw = await store.findSecret(SIGNING_KEYS_SECRET);
        if (raw !== undefined) entries = await dropRetiredSigningKeys(store, raw, parseEntries(raw), nowSeconds());
        await rotateOnSchedule();
      }
      const now = nowSeconds();
      const next = providerKeys(entries, now);
      const signingChanged = kidsOf(next) !== kidsOf(keys.jwks.keys);
      if (signingChanged) {
        keys.jwks.keys = next;
        keys.signingKeys.splice(0, keys.signingKeys.length, ...entries);
        log.info('signing keys changed', { keys: statesOf(entries, now).map(({ entry, state }) => ({ kid: entry.kid, alg: entry.alg, state })) });
      }
      await followPepper();
      const cookiesChanged = await followCookieKeys();
      if (signingChanged || cookiesChanged) rebuild();
    } catch (err) {
      log.warn('reading the signing keys failed; the current ones stay', { reason: (err as Error).message });
    }
    schedule();
  }

  /** LATCHKEY_SIGNING_KEY_ROTATION: the first instance to see a rotation due makes it (the store's compare-and-set). */
  async function rotateOnSchedule(): Promise<void> {
    const interval = d.settings.signingKeyRotationSeconds;
    if (interval === undefined || !rotationDue(entries, nowSeconds(), interval)) return;
    try {
      entries = (await rotateSigningKeys(store, entries, SIGNING_KEYS.activateAfterSeconds, 'system')).entries;
      log.info('signing keys rotated on schedule', { every: humanDuration(interval) });
    } catch (err) {
      if (!(err instanceof LatchkeyError && err.code === 'conflict')) throw err; // another instance made it
    }
  }

  /** The store's pepper, when it keeps it: a rotation puts a new one first, taken in place. */
  async function followPepper(): Promise<void> {
    if (keys.pepperGiven) return;
    const raw = await store.findSecret('pepper');
    if (raw === undefined) return;
    const stored = parsePepper(raw, 'pepper');
    // The same peppers make the same hashes of one probe; ids alone could hide a changed value.
    if (stored.hashes('latchkey pepper probe').join() === keys.pepper.hashes('latchkey pepper probe').join()) return;
    keys.pepper.adopt(stored);
    log.info('pepper changed', { current: keys.pepper.currentId, peppers: keys.pepper.ids });
  }

  /** The store's cookie keys, when it keeps them: true when they changed (newest first, as given). */
  async function followCookieKeys(): Promise<boolean> {
    if (keys.cookieKeysGiven) return false;
    const raw = await store.findSecret('cookie_keys');
    if (raw === undefined) return false;
    const stored = parseCookieKeys(raw, 'cookie_keys');
    if (stored.join(',') === keys.cookieKeys.join(',')) return false;
    keys.cookieKeys.splice(0, keys.cookieKeys.length, ...stored);
    log.info('cookie keys changed', { keys: stored.length });
    return true;
  }

  function schedule(): void {
    if (stopped) return;
    const now = nowSeconds();
    const transition = nextTransition(entries, now);
    const waitSeconds = Math.min(SIGNING_KEYS.pollSeconds, transition === undefined ? Infinity : Math.max(0, transition - now));
    timer = setTimeout(() => { void check(); }, waitSeconds * 1000 + 50);
    timer.unref();
  }

  schedule();
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}
