import { LIFETIMES, humanDuration } from './lifetimes.ts';

// Why a grant died, and what a client is told when it presents a refresh token of that grant.
// The single source for the reason codes (stored in tombstones and audit events), the words in
// error_description (RFC 6749 allows no double quote or backslash there) and docs/tokens.md.

export const GRANT_REVOCATION_REASONS = {
  reused: {
    summary: 'a spent refresh token was presented again',
    description: 'the refresh token was revoked because a spent refresh token of the same grant was presented again '
      + '(possible theft); the grant and every token issued from it are revoked, and the user must authorize the client again',
  },
  code_reused: {
    summary: 'an authorization code was redeemed twice',
    description: 'the refresh token was revoked because the authorization code of its grant was redeemed twice; '
      + 'the user must authorize the client again',
  },
  revoked_by_user: {
    summary: 'the user disconnected the app',
    description: 'the refresh token was revoked because the user disconnected the app; the user must authorize the client again',
  },
  revoked_by_client: {
    summary: 'the client revoked a token of the grant (RFC 7009)',
    description: 'the refresh token was revoked by the client (token revocation, RFC 7009), with the grant it belonged to; '
      + 'the user must authorize the client again',
  },
  reported_leaked: {
    summary: 'a credential of the grant was reported leaked',
    description: 'the refresh token was revoked because it was reported leaked; the user must authorize the client again',
  },
  client_deleted: {
    summary: 'the client was deleted',
    description: 'the refresh token was revoked because its client was deleted',
  },
  creator_revoked: {
    summary: 'the credential that registered the client was revoked',
    description: 'the refresh token was revoked because the credential that registered its client was revoked '
      + '(or reported leaked), so the client was disabled; the client\'s owner can enable it again by rotating its secret',
  },
  grant_expired: {
    summary: 'the grant reached its absolute lifetime',
    description: 'the grant reached its absolute lifetime and expired, with every token issued from it; '
      + 'the user must authorize the client again',
  },
  member_removed: {
    summary: 'the user who gave the grant was removed from the account',
    description: 'the refresh token was revoked because the user who authorized the client was removed from the account',
  },
  revoked: {
    summary: 'the grant was revoked',
    description: 'the refresh token was revoked with the grant it belonged to; the user must authorize the client again',
  },
} as const satisfies Record<string, { summary: string; description: string }>;

export type GrantRevocationReason = keyof typeof GRANT_REVOCATION_REASONS;

/** oidc-provider's own expiry checks (its error_detail), in words a partner can act on. */
export const EXPIRY_DESCRIPTIONS = {
  'refresh token is expired': `the refresh token has expired (a refresh token lives ${humanDuration(LIFETIMES.refreshToken)} `
    + 'from its issue); the user must authorize the client again',
  'grant is expired': GRANT_REVOCATION_REASONS.grant_expired.description,
} as const;

export function isGrantRevocationReason(value: unknown): value is GrantRevocationReason {
  return typeof value === 'string' && Object.hasOwn(GRANT_REVOCATION_REASONS, value);
}

/** Why an API key seen in a request URL was revoked (the guard; webhooks send api_key.exposed for it). */
export const EXPOSED_IN_URL_REASON = 'exposed in a URL';
