// Server-wide key material: signing keys (ES256 for access tokens, RS256 for ID tokens), cookie keys
// and the pepper. Taken from the environment or a file when given; otherwise generated once and kept
// in the store, so a restart, or a second instance on the same store, keeps every token valid.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Settings } from '../config/settings.ts';
import { SettingsError } from '../config/settings.ts';
import type { SecretStore } from '../adapters/contract.ts';
import type { Logger } from './log.ts';
import { Pepper } from './secrets.ts';

export interface KeyMaterial {
  readonly jwks: { keys: JWK[] };
  readonly cookieKeys: string[];
  readonly pepper: Pepper;
}

async function generateSigningKey(alg: 'ES256' | 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

async function generateJwks(): Promise<string> {
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

function parseCookieKeys(raw: string, variable: string): string[] {
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0 || keys.some((k) => k.length < 32)) {
    throw new SettingsError(variable, 'expected comma-separated keys of at least 32 characters each (newest first)');
  }
  return keys;
}

function parsePepper(raw: string, variable: string): Pepper {
  const key = Buffer.from(raw, 'base64url');
  if (key.length < 32) throw new SettingsError(variable, 'expected at least 32 random bytes, base64url-encoded');
  return new Pepper(key);
}

export async function loadKeyMaterial(settings: Settings, store: SecretStore, log: Logger): Promise<KeyMaterial> {
  const keptInStore: string[] = [];
  async function fromStore(name: string, candidate: () => Promise<string> | string): Promise<string> {
    keptInStore.push(name);
    return store.getOrCreateSecret(name, await candidate());
  }

  const { secrets } = settings;
  const jwks = parseJwks(secrets.jwks ?? await fromStore('jwks', generateJwks), 'LATCHKEY_JWKS');
  const cookieKeys = parseCookieKeys(
    secrets.cookieKeys ?? await fromStore('cookie_keys', () => randomBytes(32).toString('base64url')),
    'LATCHKEY_COOKIE_KEYS',
  );
  const pepper = parsePepper(
    secrets.pepper ?? await fromStore('pepper', () => randomBytes(32).toString('base64url')),
    'LATCHKEY_PEPPER',
  );

  if (keptInStore.length > 0 && settings.nodeEnv === 'production') {
    log.warn('key material kept in the store; for production, provide it from a secret manager', {
      generated: keptInStore.map((name) => `LATCHKEY_${name.toUpperCase()}`),
    });
  }
  return { jwks, cookieKeys, pepper };
}
