// Idempotent creates (Stripe's semantics): a POST with an `Idempotency-Key` header, repeated by the
// same credential within LIFETIMES.idempotencyKey with the same method, path and body, gets the first
// answer again (`Idempotent-Replayed: true`) and does nothing more; with another request it is 422
// idempotency_key_reused; while the first runs, 409 idempotency_key_in_use. The key is claimed
// atomically (a store counter) before any work, so parallel repeats make one object. A first request
// that fails releases its key (only successes are replayed). The answer is kept sealed (AES-256-GCM)
// under a key derived (HKDF) from the presenting credential's own value: it may hold a secret shown
// once, and neither the client-chosen key nor a copy of the store opens it.
import { createHash, hkdfSync } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { CounterStore, OidcModelStore } from '../../adapters/contract.ts';
import { LatchkeyError } from '../../config/errors.ts';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { readBody } from './json.ts';
import { openText, sealText } from '../secrets.ts';

const MODEL = 'IdempotentAnswer';
const KEY = /^[\x21-\x7e]{1,255}$/;
const BODY_LIMIT = 64 * 1024;

/** Who sent a request: a name for the key's scope, and the credential its answer is sealed under. */
interface Actor {
  readonly name: string;
  readonly secret: string;
}

export interface IdempotencyDeps {
  readonly store: CounterStore & { readonly oidc: OidcModelStore };
  /** Who acts (an audit name), and the credential's own value (a bearer token, a session cookie). */
  readonly actorOf: (ctx: Context) => Actor | undefined;
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');
const sealKey = (secret: string, id: string) => Buffer.from(hkdfSync('sha256', secret, id, 'latchkey idempotent answer v1', 32));

function seal(secret: string, id: string, answer: unknown): string {
  return sealText(sealKey(secret, id), JSON.stringify(answer), id);
}

function open(secret: string, id: string, value: string): { status: number; body: unknown } | undefined {
  try {
    return JSON.parse(openText(sealKey(secret, id), value, id)) as { status: number; body: unknown };
  } catch {
    return undefined;
  }
}

/** Router middleware, after the credential is known: honours Idempotency-Key on POST. */
export function idempotentPosts(deps: IdempotencyDeps) {
  /** A POST with an Idempotency-Key, by `actor`: its first answer is kept, and repeats get it. */
  async function once(ctx: Context, next: Next, key: string, actor: Actor): Promise<void> {
    if (!KEY.test(key)) throw new LatchkeyError('invalid_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters.');
    const raw = ctx.request.length || ctx.get('transfer-encoding') ? await readBody(ctx, BODY_LIMIT, () => new LatchkeyError('payload_too_large')) : Buffer.alloc(0);
    // Stored by digests only: neither the key nor the actor nor the body is kept.
    const id = digest(actor.name, key);
    const fingerprint = digest(ctx.method, ctx.path, raw.toString('base64'));
    const claim = await deps.store.hitCounter(`idempotency:${id}`, LIFETIMES.idempotencyKey);
    if (claim.count > 1) {
      const kept = await deps.store.oidc.find(MODEL, id);
      if (!kept) throw new LatchkeyError('idempotency_key_in_use');
      if (kept.fingerprint !== fingerprint) throw new LatchkeyError('idempotency_key_reused');
      const answer = open(actor.secret, id, String(kept.sealed));
      if (!answer) throw new LatchkeyError('idempotency_key_reused');
      ctx.status = answer.status;
      ctx.body = answer.body;
      ctx.set('Idempotent-Replayed', 'true');
      return;
    }
    try {
      await next();
    } catch (err) {
      await deps.store.resetCounter(`idempotency:${id}`);
      throw err;
    }
    if (ctx.status >= 200 && ctx.status < 300) {
      await deps.store.oidc.upsert(MODEL, id, { fingerprint, sealed: seal(actor.secret, id, { status: ctx.status, body: ctx.body }) }, LIFETIMES.idempotencyKey);
    } else {
      await deps.store.resetCounter(`idempotency:${id}`);
    }
  }

  return function idempotent(ctx: Context, next: Next): Promise<unknown> {
    const key = ctx.get('idempotency-key');
    const actor = ctx.method === 'POST' && key ? deps.actorOf(ctx) : undefined;
    return actor ? once(ctx, next, key, actor) : next();
  };
}
