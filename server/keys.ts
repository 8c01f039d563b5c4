// Server-wide key material: signing keys (ES256 for access tokens, RS256 for ID tokens), cookie keys
// and the pepper. Taken from the environment or a file when given; otherwise generated once and kept
// in the store, so a restart, or a second instance on the same store, keeps every token valid.
import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Settings } from '../config/settings.ts';
import { SettingsError } from '../config/settings.ts';
import type { SecretStore } from '../adapters/contract.ts';
import type { Logger } from './log.ts';
import { PEPPER_ID, Pepper } from './secrets.ts';
import { SIGNING_KEYS_SECRET, providerKeys, signingKeyEntries, type SigningKeyEntry } from './signing-keys.ts';

export interface KeyMaterial {
  /**
   * What oidc-provider signs with and publishes: every key not retired, the active one of each
   * algorithm first (server/signing-keys.ts). Its `keys` are replaced when the keys change state.
   */
  readonly jwks: { keys: JWK[] };
  /** Every signing key with its activation time. */
  readonly signingKeys: SigningKeyEntry[];
  /** LATCHKEY_JWKS gave the signing keys (else the store keeps them, and `signing-keys rotate` adds one). */
  readonly signingKeysGiven: boolean;
  /** Newest first: the first signs cookies, the others still verify. Replaced in place when rotated. */
  readonly cookieKeys: string[];
  /** LATCHKEY_COOKIE_KEYS gave them (else the store keeps them, and `cookie-keys rotate` adds one). */
  readonly cookieKeysGiven: boolean;
  /** Current first; older ones still verify. A generated one is followed in place when rotated. */
  readonly pepper: Pepper;
  /** LATCHKEY_PEPPER gave it (else the store keeps it, and `pepper rotate` adds a new one). */
  readonly pepperGiven: boolean;
}

async function generateSigningKey(alg: 'ES256' | 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/** A new private JWK Set: one ES256 and one RS256 signing key. */
export async function generateJwks(): Promise<string> {
  return JSON.stringify({ keys: [await generateSigningKey('ES256'), await generateSigningKey('RS256')] });
}

function parseJwks(raw: string, variable: string): { keys: JWK[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingsError(variable, 'is not JSON; expected a private JWK Set {"keys": [...]}');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null || !('d' in k))) {
    throw new SettingsError(variable, 'expected a private JWK Set {"keys": [...]} whose keys all have a private part');
  }
  const algs = new Set(keys.map((k: JWK) => k.alg ?? (k.kty === 'EC' ? 'ES256' : 'RS256')));
  if (!algs.has('ES256') || !algs.has('RS256')) {
    throw new SettingsError(variable, 'must hold an ES256 key (access tokens) and an RS256 key (ID tokens)');
  }
  return { keys: keys as JWK[] };
}

export function parseCookieKeys(raw: string, variable: string): string[] {
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0 || keys.some((k) => k.length < 32)) {
    throw new SettingsError(variable, 'expected comma-separated keys of at least 32 characters each (newest first)');
  }
  return keys;
}

/**
 * One pepper (base64url, at least 32 bytes: the pepper with id 1), or several as `id:secret`
 * separated by commas, the current first: `2:NEW,1:OLD` (docs/operations.md, "Rotating the pepper").
 */
export function parsePepper(raw: string, variable: string): Pepper {
  const entries = raw.includes(':') ? raw.split(',').map((entry) => entry.trim()) : [`1:${raw.trim()}`];
  const versions = entries.map((entry) => {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const key = Buffer.from(entry.slice(colon + 1), 'base64url');
    if (colon < 1 || !PEPPER_ID.test(id)) {
      throw new SettingsError(variable, 'expected one base64url pepper, or id:pepper entries separated by commas, the current first (2:NEW,1:OLD)');
    }
    if (key.length < 32) throw new SettingsError(variable, `pepper ${id}: expected at least 32 random bytes, base64url-encoded`);
    return { id, key };
  });
  if (new Set(versions.map((v) => v.id)).size !== versions.length) throw new SettingsError(variable, 'two peppers have the same id');
  return new Pepper(versions);
}

// What a copy of the database (a backup, a stolen disk) allows while each is kept in the store.
// docs/operations.md says the same.
const A_COPY_ALLOWS: Record<string, string> = {
  jwks: 'LATCHKEY_JWKS (signing keys): forge access and ID tokens for any user, client and scope, which every '
    + 'resource server accepts until the keys are replaced',
  cookie_keys: 'LATCHKEY_COOKIE_KEYS: sign cookies the server accepts; alone this opens no session, since the store '
    + 'keeps only hashes of session ids',
  pepper: 'LATCHKEY_PEPPER: check guesses against the stored client-secret and API-key hashes offline, with no server '
    + 'to throttle or notice (hopeless against their 256 random bits, not against a weak value set elsewhere), and '
    + 'derive the CSRF keys of the sign-in and consent forms',
};
/**
 * What a copy of the store (a backup) lets its holder do with one row of its secrets: undefined for
 * a row that is no key material (the fingerprints of what is in force).
 */
export function whatACopyAllows(secretName: string): string | undefined {
  return A_COPY_ALLOWS[secretName === SIGNING_KEYS_SECRET ? 'jwks' : secretName];
}

const A_COPY_DOES_NOT_ALLOW = 'reading any secret: it holds no client secret, API key, password, refresh token or '
  + 'session, only their hashes';
const TO_MOVE = 'copy each value from the store (embedded: sqlite3 "$DATA_DIR/latchkey.sqlite" '
  + '"SELECT value FROM secrets WHERE name = \'jwks\'", likewise cookie_keys and pepper; MongoDB: the secrets '
  + 'collection, documents _id jwks, cookie_keys, pepper) into files only Latchkey can read; set LATCHKEY_JWKS_FILE, '
  + 'LATCHKEY_COOKIE_KEYS_FILE and LATCHKEY_PEPPER_FILE (for those generated) on every instance and restart them; '
  + 'then delete those rows or documents. Backups made before still hold them (docs/operations.md)';

// Key material in force, by fingerprint, kept in the store: a process whose material shares nothing
// with it (a CLI run without the server's pepper, an instance given another JWK Set) refuses to
// start or to write, naming the variable, instead of making secrets nobody else can check. A
// rotation keeps the old value beside the new one (newest first), so the sets overlap; the record
// then moves to the new set, and a process still holding only the retired value is refused.
const FINGERPRINTS = 'key_fingerprints';
const MATERIAL = {
  jwks: { variable: 'LATCHKEY_JWKS', what: 'signing keys' },
  cookie_keys: { variable: 'LATCHKEY_COOKIE_KEYS', what: 'cookie keys' },
  pepper: { variable: 'LATCHKEY_PEPPER', what: 'pepper' },
} as const;
type MaterialName = keyof typeof MATERIAL;
type Fingerprints = Record<MaterialName, string[]>;

const digest = (value: string) => createHash('sha256').update(`latchkey key fingerprint v1\0${value}`).digest('base64url').slice(0, 22);

async function fingerprintsOf(jwks: { keys: JWK[] }, cookieKeys: string[], pepper: Pepper): Promise<Fingerprints> {
  return {
    // Thumbprints name public keys only; the others are one-way digests that reveal nothing.
    jwks: (await Promise.all(jwks.keys.map((jwk) => calculateJwkThumbprint(jwk)))).sort(),
    cookie_keys: cookieKeys.map(digest).sort(),
    pepper: pepper.hashes('latchkey key fingerprint').map(digest).sort(),
  };
}

function diverged(name: MaterialName): SettingsError {
  const { variable, what } = MATERIAL[name];
  return new SettingsError(variable, `differs from the ${what} in force on this store (the running servers have others): `
    + `what this process made would not verify there. Give it the same ${variable} (or ${variable}_FILE) as the servers; `
    + 'to rotate, list the new value before the old one (docs/operations.md, "Key material")');
}

/** Checks this process's material against the store's record of what is in force, and records it. */
async function agreeWithStore(store: SecretStore, current: Fingerprints): Promise<void> {
  const next = JSON.stringify(current);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const raw = await store.findSecret(FINGERPRINTS);
    const recorded = (raw ? JSON.parse(raw) : {}) as Partial<Fingerprints>;
    for (const name of Object.keys(MATERIAL) as MaterialName[]) {
      const before = recorded[name];
      if (before && !before.some((print) => current[name].includes(print))) throw diverged(name);
    }
    if (raw === next || await store.replaceSecret(FINGERPRINTS, raw, next)) return;
  }
  throw new Error('the record of the key material in force kept changing under this process; start it again');
}

export async function loadKeyMaterial(settings: Settings, store: SecretStore, log: Logger): Promise<KeyMaterial> {
  const recorded = JSON.parse(await store.findSecret(FINGERPRINTS) ?? '{}') as Partial<Fingerprints>;
  const keptInStore: string[] = [];
  async function fromStore(name: MaterialName, candidate: () => Promise<string> | string): Promise<string> {
    keptInStore.push(name);
    const kept = await store.findSecret(name);
    if (kept !== undefined) return kept;
    // Material is in force but not in the store: the servers are given it from outside. Making one
    // here would give this process secrets nobody else can check.
    if (recorded[name]) {
      const { variable, what } = MATERIAL[name];
      throw new SettingsError(variable, `is not set, but the servers on this store are given their ${what} from outside: `
        + `set ${variable} (or ${variable}_FILE) here as they have it`);
    }
    return store.getOrCreateSecret(name, await candidate());
  }

  const { secrets } = settings;
  const given = parseJwks(secrets.jwks ?? await fromStore('jwks', generateJwks), 'LATCHKEY_JWKS');
  const signingKeys = await signingKeyEntries(given, secrets.jwks === undefined ? await store.findSecret(SIGNING_KEYS_SECRET) : undefined);
  const jwks = { keys: providerKeys(signingKeys, Math.floor(Date.now() / 1000)) };
  const cookieKeys = parseCookieKeys(
    secrets.cookieKeys ?? await fromStore('cookie_keys', () => randomBytes(32).toString('base64url')),
    'LATCHKEY_COOKIE_KEYS',
  );
  const pepper = parsePepper(
    secrets.pepper ?? await fromStore('pepper', () => randomBytes(32).toString('base64url')),
    'LATCHKEY_PEPPER',
  );
  await agreeWithStore(store, await fingerprintsOf(jwks, cookieKeys, pepper));

  if (keptInStore.length > 0 && settings.nodeEnv === 'production') {
    log.warn('key material kept in the store: a copy of the database is enough to misuse it; move it to LATCHKEY_*_FILE', {
      generated: keptInStore.map((name) => `LATCHKEY_${name.toUpperCase()}`),
      a_copy_of_the_database_allows: keptInStore.map((name) => A_COPY_ALLOWS[name]),
      a_copy_of_the_database_does_not_allow: A_COPY_DOES_NOT_ALLOW,
      to_move_it: TO_MOVE,
    });
  }
  return { jwks, signingKeys, signingKeysGiven: secrets.jwks !== undefined, cookieKeys, cookieKeysGiven: secrets.cookieKeys !== undefined, pepper, pepperGiven: secrets.pepper !== undefined };
}
