// Idempotent refresh. A refresh token presented again within the retry window, by its client, with
// the same parameters, gets the identical answer of its first use: no new token is minted, so a
// lost response or a parallel duplicate never forks the family and never logs the user out. Once
// the successor has been used, or after the window, presenting it is reuse, which revokes the grant.
//
// How it works with oidc-provider:
//  - after a successful refresh, the answer is sealed (AES-256-GCM under a key derived with HKDF
//    from the presented refresh token, which the store never holds) and kept as a `RefreshRetry`
//    record under the token's storage id, bound to the grant (it dies with it), for the window;
//  - when the adapter finds the token already consumed within the window (or loses the consume
//    race), it marks the request and throws instead of letting oidc-provider revoke the grant;
//  - the `idempotentRefresh` middleware around oidc-provider then waits briefly for the winner's
//    sealed answer, opens it with the presented token and serves it.
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { OidcPayload, OidcModelStore } from '../../adapters/contract.ts';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import type { Logger } from '../log.ts';
import { useOn } from './route-gate.ts';

export const RETRY_MODEL = 'RefreshRetry';
const HKDF_INFO = 'latchkey refresh retry answer v1';
/** How long a duplicate waits for the first request's answer. */
const WAIT_FOR_ANSWER_MS = 5000;
const POLL_MS = 25;

/** What a repeat of a refresh turned out to be, counted separately (metrics, logs). */
export interface RefreshRetryStats {
  /** A repeat after the first answer was ready. */
  retriesServed: number;
  /** A duplicate that arrived while the first request was still working, and waited for it. */
  racesCoalesced: number;
  /** A spent token presented after its successor was used or after the window: the grant was revoked. */
  reuseDetected: number;
}

export function newRefreshRetryStats(): RefreshRetryStats {
  return { retriesServed: 0, racesCoalesced: 0, reuseDetected: 0 };
}

type Repeat = 'retry' | 'race';
const repeats = new WeakMap<object, Repeat>();

/** The oidc-provider request in progress is a refresh presenting `token`. */
function refreshPresenting(ctx: KoaContextWithOIDC | undefined, token: string): ctx is KoaContextWithOIDC {
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token' && ctx.oidc.params.refresh_token === token;
}

/**
 * Whether presenting this refresh token would still get an answer: unspent, or spent inside its
 * retry window with its successor unused (a repeat gets the kept answer). A leak report revokes the
 * grant only for such a token (server/leaks/revoke.ts); one spent for good is dead.
 */
export async function refreshTokenStillWorks(
  records: OidcModelStore, storageId: string, payload: OidcPayload, windowSeconds: number,
): Promise<boolean> {
  if (typeof payload.consumed !== 'number') return true;
  if (!consumedWithin(payload, windowSeconds)) return false;
  const answer = await records.find(RETRY_MODEL, storageId);
  // No answer kept yet: the first use is still working on it, and a duplicate would wait for it.
  if (!answer) return true;
  return !(typeof answer.successor === 'string' && (await records.find('RefreshToken', answer.successor))?.consumed);
}

/**
 * Consumed within the last `windowSeconds`. `consumed` is in whole seconds, so the window is
 * counted from the start of that second: never shorter than configured, at most a second longer.
 */
function consumedWithin(payload: OidcPayload, windowSeconds: number): boolean {
  return typeof payload.consumed === 'number' && payload.consumed + windowSeconds >= Math.floor(Date.now() / 1000);
}

/**
 * Called by the adapter for a refresh token found consumed, or that lost the consume race: when
 * this is a repeat inside the window (and its successor is unused), marks the request and throws,
 * so oidc-provider neither revokes nor answers; the middleware serves the first answer instead.
 */
export async function recogniseRepeat(
  records: OidcModelStore, token: string, storageId: string, payload: OidcPayload, windowSeconds: number, lostRace: boolean,
): Promise<void> {
  const ctx = Provider.ctx;
  if (!refreshPresenting(ctx, token) || !consumedWithin(payload, windowSeconds)) return;
  // A public client has no secret: whoever holds a spent token could fetch its successor, so a repeat is reuse.
  if (ctx.oidc.client?.tokenEndpointAuthMethod === 'none') return;
  if (payload.clientId !== ctx.oidc.client?.clientId) return;
  const answer = await records.find(RETRY_MODEL, storageId);
  if (answer) {
    // Once the successor has been used, the spent token is no retry any more: reuse.
    if (typeof answer.successor === 'string' && (await records.find('RefreshToken', answer.successor))?.consumed) return;
  } else if (!consumedWithin(payload, WAIT_FOR_ANSWER_MS / 1000)) {
    // No answer, and the first request is long done: it kept none (another version, a failure), so
    // whether the successor was used cannot be told; a spent token presented again is reuse.
    return;
  }
  repeats.set(ctx, answer && !lostRace ? 'retry' : 'race');
  throw new errors.InvalidGrant('refresh retry');
}

/** The parameters a retry must repeat: the same request is the same answer. */
function parametersOf(ctx: KoaContextWithOIDC): string {
  const { scope, resource } = ctx.oidc.params ?? {};
  return hash('sha256', JSON.stringify([scope ?? null, resource ?? null]), 'base64url');
}

function keyFor(token: string, grantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, grantId, HKDF_INFO, 32));
}

/** What the answer is bound to: the fields beside the ciphertext that decide how it is served. */
interface Binding {
  readonly grantId: string;
  readonly clientId: string;
  readonly successor: string;
  readonly parameters: string;
}

const TAG_BYTES = 16;
const aad = (storageId: string, b: Binding) => Buffer.from(JSON.stringify([storageId, b.grantId, b.clientId, b.successor, b.parameters]));

function seal(body: unknown, token: string, storageId: string, binding: Binding) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(token, binding.grantId), iv, { authTagLength: TAG_BYTES }).setAAD(aad(storageId, binding));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(body)), cipher.final()]);
  return { ...binding, iv: iv.toString('base64url'), sealed: sealed.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

function open(record: OidcPayload, token: string, storageId: string): unknown {
  const binding: Binding = {
    grantId: String(record.grantId), clientId: String(record.clientId), successor: String(record.successor), parameters: String(record.parameters),
  };
  const decipher = createDecipheriv('aes-256-gcm', keyFor(token, binding.grantId), Buffer.from(String(record.iv), 'base64url'), { authTagLength: TAG_BYTES })
    .setAAD(aad(storageId, binding));
  decipher.setAuthTag(Buffer.from(String(record.tag), 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(String(record.sealed), 'base64url')), decipher.final()]);
  return JSON.parse(plain.toString()) as unknown;
}

export interface IdempotentRefreshOptions {
  records: OidcModelStore;
  windowSeconds: number;
  /** The storage id of a refresh token (the adapter's hash). */
  storageIdOf: (token: string) => string;
  stats: RefreshRetryStats;
  log: Logger;
}

/** Keeps each refresh answer for the window, and serves it to repeats. */
export function idempotentRefresh(provider: Provider, options: IdempotentRefreshOptions): void {
  const { records, windowSeconds, storageIdOf, stats, log } = options;

  /** The first request's answer; or why there is none: the grant died meanwhile, or it never came. */
  async function waitForAnswer(storageId: string): Promise<OidcPayload | { refused: string }> {
    for (let waited = 0; waited < WAIT_FOR_ANSWER_MS; waited += POLL_MS) {
      const answer = await records.find(RETRY_MODEL, storageId);
      if (answer) return answer;
      if (!await records.find('RefreshToken', storageId)) {
        const tombstone = await records.findTombstone(storageId);
        return { refused: GRANT_REVOCATION_REASONS[tombstone?.reason ?? 'revoked'].description };
      }
      await sleep(POLL_MS);
    }
    return {
      refused: 'this refresh token was just used and its first request did not complete; nothing was revoked, '
        + 'but the user must authorize the client again if no new refresh token was received',
    };
  }

  /** The grant still holds: a retry hands out tokens again, so it must not outlive the grant. */
  async function grantAlive(grantId: string): Promise<boolean> {
    const grant = await records.find('Grant', grantId);
    return typeof grant?.exp === 'number' && grant.exp > Date.now() / 1000;
  }

  function refuse(ctx: KoaContextWithOIDC, description: string): void {
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant', error_description: description };
  }

  async function serveRepeat(ctx: KoaContextWithOIDC, repeat: Repeat): Promise<void> {
    const token = String(ctx.oidc.params!.refresh_token);
    const storageId = storageIdOf(token);
    const answer = await waitForAnswer(storageId);
    if ('refused' in answer) {
      refuse(ctx, String(answer.refused));
      return;
    }
    if (!await grantAlive(String(answer.grantId))) {
      refuse(ctx, GRANT_REVOCATION_REASONS.grant_expired.description);
      return;
    }
    if (answer.parameters !== parametersOf(ctx)) {
      refuse(ctx, 'this refresh token was just used with other parameters; a retry must repeat the same request '
        + '(scope and resource); nothing was revoked');
      return;
    }
    ctx.status = 200;
    ctx.body = open(answer, token, storageId);
    ctx.remove('WWW-Authenticate');
    if (repeat === 'retry') stats.retriesServed += 1;
    else stats.racesCoalesced += 1;
    log.info(repeat === 'retry' ? 'refresh retry served' : 'refresh race coalesced', { client_id: ctx.oidc.client?.clientId });
  }

  async function keepAnswer(ctx: KoaContextWithOIDC): Promise<void> {
    const body = ctx.body as { refresh_token?: unknown } | undefined;
    const rotated = ctx.oidc.entities.RotatedRefreshToken as { grantId?: string; clientId?: string } | undefined;
    if (typeof body?.refresh_token !== 'string' || !rotated?.grantId) return;
    const token = String(ctx.oidc.params!.refresh_token);
    const storageId = storageIdOf(token);
    const binding: Binding = {
      grantId: rotated.grantId, clientId: String(rotated.clientId), successor: storageIdOf(body.refresh_token), parameters: parametersOf(ctx),
    };
    try {
      await records.upsert(RETRY_MODEL, storageId, seal(body, token, storageId, binding), windowSeconds);
    } catch (err) {
      // The tokens are minted: hand them out. Without the kept answer a retry is refused (or, later,
      // taken for reuse), which is what happened before retries existed.
      log.warn('keeping a refresh answer for retries failed', { reason: (err as Error).message, client_id: binding.clientId });
    }
  }

  useOn(provider, ['token'], async function refreshRepeats(ctx, next) {
    await next();
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    if (oidcCtx.oidc?.route !== 'token' || oidcCtx.oidc.params?.grant_type !== 'refresh_token') return;
    const repeat = repeats.get(ctx);
    if (repeat) await serveRepeat(oidcCtx, repeat);
    else if (ctx.status === 200 && windowSeconds > 0) await keepAnswer(oidcCtx);
  });

  // A spent token presented after the window, or after its successor was used: the grant died.
  provider.on('grant.error', (_ctx: KoaContextWithOIDC, err: { error_detail?: string }) => {
    if (err.error_detail === 'refresh token already used') stats.reuseDetected += 1;
  });
}
