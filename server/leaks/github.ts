// POST /v1/secret-scanning/github: GitHub's secret scanning partner programme. A report is trusted
// only when its ECDSA P-256 / SHA-256 signature over the raw body verifies with a key from the
// operator's keys file (GitHub's `public_keys` document), re-read whenever the file changes.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type Router from '@koa/router';
import { z } from 'zod';
import type { Context } from 'koa';
import type { Store } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIMITS } from '../../config/limits.ts';
import type { Logger } from '../log.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { badShape, parseJson, readRawBody } from './body.ts';
import { findIssued, revokeIssued } from './revoke.ts';

export const GITHUB_SCANNING_PATH = '/v1/secret-scanning/github';

const MAX_FIELD = 2048;

export interface GithubMatch {
  readonly token: string;
  readonly type: string;
  readonly url: string | undefined;
  readonly source: string | undefined;
}

const refused = (message: string) => new LatchkeyError('invalid_signature', message);

/** The keys of a `public_keys` document by identifier; throws on anything else. */
export function parseKeysDocument(text: string): Map<string, KeyObject> {
  const doc = JSON.parse(text) as { public_keys?: unknown };
  if (!Array.isArray(doc.public_keys)) throw new Error('no public_keys array');
  const keys = new Map<string, KeyObject>();
  for (const entry of doc.public_keys as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') throw new Error('an entry lacks key_identifier or key');
    const key = createPublicKey(entry.key);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`key ${entry.key_identifier} is not a P-256 key`);
    keys.set(entry.key_identifier, key);
  }
  return keys;
}

/**
 * The keys file, re-read when its modification time or size changes (one stat per report). A file
 * that does not parse is logged and the last good keys stay in use, so a half-written update
 * never opens or closes the door by accident.
 */
export class GithubKeys {
  readonly #path: string | undefined;
  readonly #log: Logger;
  #seen = '';
  #keys = new Map<string, KeyObject>();

  constructor(path: string | undefined, log: Logger) {
    this.#path = path;
    this.#log = log;
  }

  async keyFor(identifier: string): Promise<KeyObject | undefined> {
    if (!this.#path) return undefined;
    try {
      const { mtimeMs, size } = await stat(this.#path);
      const version = `${mtimeMs}:${size}`;
      if (version !== this.#seen) {
        this.#keys = parseKeysDocument(await readFile(this.#path, 'utf8'));
        this.#seen = version;
      }
    } catch (err) {
      this.#log.warn('reading the GitHub secret-scanning keys file failed; keeping the keys read before', { reason: (err as Error).message });
    }
    return this.#keys.get(identifier);
  }
}

/** 401 (revoking nothing) unless the signature over `raw` verifies with the named key. */
export async function verifySignature(keys: GithubKeys, raw: Buffer, identifier: string, signature: string): Promise<void> {
  if (!identifier || !signature) throw refused('Send Github-Public-Key-Identifier and Github-Public-Key-Signature.');
  const key = await keys.keyFor(identifier);
  if (!key) throw refused('The Github-Public-Key-Identifier names no key this server knows.');
  let valid = false;
  try {
    valid = verify('sha256', raw, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // a malformed signature is just a bad one
  }
  if (!valid) throw refused('The Github-Public-Key-Signature does not verify over this body.');
}

const MATCH = 'Each match must be an object with a string token and type, and optional string url and source.';
const MATCHES = `The body must be a JSON array of 1 to ${LIMITS.leakReportMaxCredentials} matches.`;
const optionalField = z.string({ error: MATCH }).max(MAX_FIELD, MATCH).nullish().transform((value) => value ?? undefined);

/** GitHub's secret-scanning report: what it found, and where. */
export const GITHUB_REPORT = z.array(z.object({
  token: z.string({ error: MATCH }).min(1, MATCH).max(LIMITS.leakReportMaxCredentialLength, MATCH),
  type: z.string({ error: MATCH }).max(MAX_FIELD, MATCH),
  url: optionalField,
  source: optionalField,
}, { error: MATCH }), { error: MATCHES }).min(1, MATCHES).max(LIMITS.leakReportMaxCredentials, MATCHES).meta({ id: 'GithubSecretScanningReport' });

/** A JSON array of 1 to LIMITS.leakReportMaxCredentials `{token, type, url, source}`; 400 otherwise. */
export function parseGithubReport(raw: Buffer): GithubMatch[] {
  const result = GITHUB_REPORT.safeParse(parseJson(raw));
  if (!result.success) throw badShape('body', result.error.issues[0]!.message);
  return result.data;
}

export function mountGithubScanning(
  router: Router, store: Store, pepper: Pepper, log: Logger, keysFile: string | undefined, retryWindowSeconds: number,
): void {
  const keys = new GithubKeys(keysFile, log);
  router.post(GITHUB_SCANNING_PATH, async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const raw = await readRawBody(ctx);
    await verifySignature(keys, raw, ctx.get('Github-Public-Key-Identifier'), ctx.get('Github-Public-Key-Signature'));
    const matches = parseGithubReport(raw);
    const answer = [];
    let matched = 0;
    for (const match of matches) {
      const issued = await findIssued(store, pepper, match.token, retryWindowSeconds);
      if (issued) {
        matched += 1;
        await revokeIssued(store, issued, 'report:github', match.url);
      }
      answer.push({ token_raw: match.token, token_type: match.type, label: issued ? 'true_positive' : 'false_positive' });
    }
    const id = generateSortableId('leak');
    const origin = matches.find((m) => m.url)?.url;
    await store.recordLeakReport({ id, source: 'github', receivedAt: new Date(), reported: matches.length, matched, origin });
    log.info('leak report received', { report_id: id, source: 'github', reported: matches.length, matched });
    ctx.status = 200;
    ctx.body = answer;
  });
}
