// How oidc-provider's revocations reach the store's single revocation path with a reason, and how a
// refresh token's tombstone reaches the error the client sees.
//
// oidc-provider revokes a grant from inside a request (a replayed refresh token or code, RFC 7009
// revocation) by calling the adapter's revokeByGrantId once per model, and destroy() on the token
// and the Grant. The reason is read from the request (Provider.ctx); the calls of one request share
// one store call.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { GrantRevocation, RefreshTombstone } from '../../adapters/contract.ts';

/** What the current oidc-provider request means when it revokes a grant. */
export function revocationOfRequest(ctx: KoaContextWithOIDC | undefined = Provider.ctx): GrantRevocation {
  const at = new Date();
  const clientId = ctx?.oidc?.client?.clientId;
  if (ctx?.oidc?.route === 'revocation' && clientId) return { reason: 'revoked_by_client', actor: `client:${clientId}`, at };
  if (ctx?.oidc?.route === 'token') {
    const grantType = ctx.oidc.params?.grant_type;
    if (grantType === 'refresh_token') return { reason: 'reused', actor: 'system', at };
    if (grantType === 'authorization_code') return { reason: 'code_reused', actor: 'system', at };
  }
  return { reason: 'revoked', actor: 'system', at };
}

const revocationsInFlight = new WeakMap<object, Map<string, Promise<boolean>>>();

/** Runs `revoke` once per grant per request: the adapter is called once per model for one revocation. */
export function oncePerRequest(grantId: string, revoke: () => Promise<boolean>): Promise<boolean> {
  const ctx = Provider.ctx;
  if (!ctx) return revoke();
  let inFlight = revocationsInFlight.get(ctx);
  if (!inFlight) revocationsInFlight.set(ctx, inFlight = new Map<string, Promise<boolean>>());
  let pending = inFlight.get(grantId);
  if (!pending) inFlight.set(grantId, pending = revoke());
  return pending;
}

const tombstonesSeen = new WeakMap<object, RefreshTombstone>();

/**
 * Remembers, for this request, why the refresh token it presented no longer works; only for the
 * client the token was issued to (another client learns nothing about it).
 */
export function noteTombstone(tombstone: RefreshTombstone): void {
  const ctx = Provider.ctx;
  if (ctx && tombstone.clientId !== undefined && ctx.oidc?.client?.clientId === tombstone.clientId) tombstonesSeen.set(ctx, tombstone);
}

export function tombstoneOf(ctx: object): RefreshTombstone | undefined {
  return tombstonesSeen.get(ctx);
}
