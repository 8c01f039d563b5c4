// `latchkey cookie-keys rotate`: a new cookie key, first in the list the store keeps, so it signs new
// cookies while the previous ones still verify the cookies they signed. Running instances follow
// within seconds (server/assembly/key-material-watch.ts). Keys given in LATCHKEY_COOKIE_KEYS rotate
// the same way by hand: put a new key first.
import { randomBytes } from 'node:crypto';
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import type { Settings } from '../config/settings.ts';
import { ensureOperatorAccount } from '../server/clients/resource-servers.ts';
import { loadKeyMaterial, parseCookieKeys } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { generateSortableId } from '../server/secrets.ts';

/** Keys kept: the new one and the two before it. A cookie signed three rotations ago no longer verifies. */
export const COOKIE_KEYS_KEPT = 3;

export async function rotateCookieKeys(store: Store, settings: Settings): Promise<Record<string, unknown>> {
  const keys = await loadKeyMaterial(settings, store, consoleLogger);
  if (keys.cookieKeysGiven) {
    throw new LatchkeyError('conflict', 'the cookie keys are given in LATCHKEY_COOKIE_KEYS: put a new key first in that list and keep '
      + 'the old ones after it until the sessions they signed have ended (docs/operations.md, "Key material")');
  }
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const raw = await store.findSecret('cookie_keys');
    const current = raw === undefined ? keys.cookieKeys : parseCookieKeys(raw, 'cookie_keys');
    const next = [randomBytes(32).toString('base64url'), ...current].slice(0, COOKIE_KEYS_KEPT);
    if (!await store.replaceSecret('cookie_keys', raw, next.join(','))) continue;
    await store.recordAuditEvent({
      id: generateSortableId('evt'), accountId: await ensureOperatorAccount(store), actor: 'cli', action: 'cookie_key.rotated',
      targetId: 'cookie_keys', reason: undefined, at: new Date(), detail: { kept: String(next.length), dropped: String(current.length + 1 - next.length) },
    });
    return { object: 'cookie_key_rotation', keys: next.length, dropped: current.length + 1 - next.length };
  }
  throw new LatchkeyError('conflict', 'the cookie keys kept changing under this command; run it again');
}
