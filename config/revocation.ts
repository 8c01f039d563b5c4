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

/**
 * Why a code exchange failed, by oidc-provider's detail of the error (or, for PKCE, its cause): the
 * error_description a client gets, and when it happens (docs/tokens.md lists them). A spent code is
 * the refresh failures' `code_reused`.
 */
export const CODE_EXCHANGE_FAILURES = {
  'code_verifier must be provided': {
    when: 'no code_verifier was sent',
    description: 'code_verifier is missing: send the PKCE verifier whose S256 challenge began the authorization request',
  },
  'code_verifier does not match code_challenge': {
    when: 'the code_verifier is not the one whose challenge began the authorization',
    description: 'code_verifier does not match the code_challenge of the authorization request: send the verifier made with that challenge',
  },
  'authorization code redirect_uri mismatch': {
    when: 'redirect_uri differs from the authorization request\'s',
    description: 'redirect_uri does not match the one the authorization request used: send exactly the same redirect_uri',
  },
  'authorization code is expired': {
    when: `the code is older than ${humanDuration(LIFETIMES.authorizationCode)}`,
    description: `the authorization code has expired (a code lives ${humanDuration(LIFETIMES.authorizationCode)}): exchange a code at once, or start a new authorization`,
  },
  'authorization code not found': {
    when: 'the code was never issued by this server, or is long expired',
    description: 'the authorization code is unknown: it was not issued by this server (or expired long ago); start a new authorization',
  },
  'client mismatch': {
    when: 'the code was issued to another client',
    description: 'the authorization code was issued to another client: exchange it with the client that began the authorization',
  },
} as const;
