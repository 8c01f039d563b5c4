// The error catalog: every code the server can emit, on the OAuth endpoints (RFC 6749 and its
// extensions: error-catalog-oauth.ts) and on our own routes (below), with when it happens, what the
// integrator does, and real answers. docs/errors.md is generated from it; our own codes' status and
// message live in ERROR_CODES (config/errors.ts), which every own code here must match.
import type { ErrorCode } from './errors.ts';
import { LINK, type CatalogEntry } from './error-catalog-entry.ts';
import { OAUTH_ERROR_CATALOG } from './error-catalog-oauth.ts';

export { REACTIONS, type CatalogEntry, type Reaction } from './error-catalog-entry.ts';

export const ERROR_CATALOG = {
  ...OAUTH_ERROR_CATALOG,
  invalid_token: {
    when: 'The Partner API or a management route got an access token that is expired or invalid, or an API key that is malformed, unknown, revoked or expired. '
      + 'RFC 6750\'s code, in WWW-Authenticate and in our body.',
    reaction: 'refresh',
    action: 'An expired access token: refresh once, retry the call once with the new token; if that fails too, stop and fail loudly (no loop). '
      + 'An API key: it will not come back; roll or create a key (the message says whether it was revoked and why).',
    latchkey: {
      examples: [[
        'HTTP/1.1 401 Unauthorized',
        'WWW-Authenticate: Bearer realm="latchkey", error="invalid_token", error_description="the access token has expired; refresh it or request a new one", resource_metadata="$ISSUER/.well-known/oauth-protected-resource/api"',
        'Content-Type: application/json; charset=utf-8',
        '',
        '{"error":{"code":"invalid_token","message":"the access token has expired; refresh it or request a new one","docs_url":"$ISSUER/docs/errors#invalid_token"}}',
      ].join('\n')],
    },
    // Dynamic registration with LATCHKEY_REGISTRATION=token: no initial access token, or an unknown or expired one.
    oauth: {
      status: '401 (POST $ISSUER/reg)',
      examples: [`{"error":"invalid_token","error_description":"no access token provided",${LINK}invalid_token"}`],
    },
  },
  insufficient_scope: {
    when: 'The credential is valid but lacks the scope the route requires (RFC 6750), asks to give a key or client scopes it does not hold, '
      + 'or acts on a key, client or webhook holding scopes it lacks. One body whatever the case: `missing_scopes` (an array), '
      + '`required_scope` (the first), `scope_docs` (its page).',
    reaction: 'fix',
    action: 'Request the named scope (users must consent to it), or create the key with it. Refreshing does not add scopes.',
    latchkey: {
      examples: ['{"error":{"code":"insufficient_scope","message":"this endpoint requires the read:contacts scope","required_scope":"read:contacts",'
        + '"missing_scopes":["read:contacts"],"scope_docs":"$ISSUER/docs/scopes#read:contacts","docs_url":"$ISSUER/docs/errors#insufficient_scope"}}'],
    },
  },
  missing_credential: { when: 'No Authorization header on a route that needs one.', reaction: 'fix', action: 'Send Authorization: Bearer <API key or access token>.', latchkey: {} },
  validation_failed: {
    when: 'A field of a JSON body has an invalid value or is unknown; `field` names it.',
    reaction: 'fix',
    action: 'Correct the named field.',
    latchkey: { examples: ['{"error":{"code":"validation_failed","message":"colour: unknown field; allowed: name, scopes, environment, expires_at","field":"colour","docs_url":"$ISSUER/docs/errors#validation_failed"}}'] },
  },
  credential_in_url: {
    when: 'A credential in the query string. An API key seen there is revoked at once, since URLs are logged.',
    reaction: 'fix',
    action: 'Send credentials in the Authorization header only; roll or create a key if this one was revoked (`key_revoked`).',
    latchkey: {},
  },
  https_required: { when: 'A plain-http request to an https deployment.', reaction: 'fix', action: 'Use the https address; a proxy in front must send X-Forwarded-Proto: https.', latchkey: {} },
  forbidden: { when: 'The credential is valid but may not act on this object.', reaction: 'fix', action: 'Use a credential that owns the object; the message says which.', latchkey: {} },
  email_unverified: {
    when: 'A signed-in user whose email address is not confirmed asked to create or change a live key or a live OAuth app.',
    reaction: 'user', action: 'Open the link mailed at sign-up (or send it again from the portal), then retry. Test credentials work meanwhile.', latchkey: {},
  },
  step_up_required: {
    when: 'A sensitive change (a live key, a live client secret, deleting an app, email, password or two-factor) with a portal sign-in older than 10 minutes.',
    reaction: 'user', action: 'Sign in again in the portal (the page asks), then repeat the request. API keys and tokens are never asked to step up.', latchkey: {},
  },
  two_factor_required: {
    when: 'The account requires two-factor authentication of every member, and the signed-in member has not set it up.',
    reaction: 'user', action: 'Set up two-factor authentication at /portal/security/two-factor (the portal sends you there), then repeat the request.', latchkey: {},
  },
  conflict: { when: 'The object is not in a state that allows this (already revoked, already rolled).', reaction: 'fix', action: 'Read the object again; act on its current state (the message names a successor, if any).', latchkey: {} },
  limit_reached: { when: 'The account holds the most objects it may (live API keys, say).', reaction: 'fix', action: 'Revoke what is no longer used, then try again.', latchkey: {} },
  idempotency_key_in_use: {
    when: 'A POST with an Idempotency-Key arrives while the first request with that key (from the same credential) is still running.',
    reaction: 'retry', action: 'Wait for the first answer, then send the request again with the same key: you get that answer.', latchkey: {},
  },
  idempotency_key_reused: {
    when: 'An Idempotency-Key seen in the last 24 hours (from the same credential) comes with another method, path or body.',
    reaction: 'fix', action: 'Use a new key for a new request; repeat a request only with its own key and the same body.', latchkey: {},
  },
  csrf_failed: { when: 'A portal form or session request without its CSRF token.', reaction: 'user', action: 'Reload the page and submit again; API clients send X-CSRF-Token.', latchkey: {} },
  interaction_expired: { when: 'A sign-in or consent page past its lifetime, or already finished.', reaction: 'user', action: 'Start the authorization again from the app.', latchkey: {} },
  not_found: { when: 'No such path or object.', reaction: 'fix', action: 'Check the URL and the id.', latchkey: {} },
  method_not_allowed: { when: 'The path exists, not with this method.', reaction: 'fix', action: 'Use a method the route offers (docs/partner-api).', latchkey: {} },
  invalid_signature: {
    when: 'A secret-scanning report (POST /v1/secret-scanning/github) without a valid Github-Public-Key-Signature: header missing, '
      + 'key identifier not in the configured keys file, signature not over these exact bytes, or no keys file configured. Nothing was revoked.',
    reaction: 'fix',
    action: 'Only the scanning programme sends these: check that LATCHKEY_GITHUB_SCANNING_KEYS_FILE holds its current public keys.',
    latchkey: {},
  },
  payload_too_large: { when: 'The request body is over the limit.', reaction: 'fix', action: 'Send a smaller body.', latchkey: {} },
  unsupported_media_type: { when: 'A body that is not application/json.', reaction: 'fix', action: 'Send Content-Type: application/json.', latchkey: {} },
  rate_limited: {
    when: 'Too many failed sign-ins or credential checks from this address.',
    reaction: 'retry',
    action: 'Wait the seconds in Retry-After; fix the credential first if it is the one failing.',
    latchkey: {},
  },
  internal_error: { when: 'A bug on our side (logged).', reaction: 'retry', action: 'Retry with backoff; if it persists, report the X-Request-Id.', latchkey: {} },
  store_unavailable: { when: 'The data store is unreachable.', reaction: 'retry', action: 'Wait the seconds in Retry-After, then retry.', latchkey: {} },
} as const satisfies Record<string, CatalogEntry>;

export type CatalogCode = keyof typeof ERROR_CATALOG;

// Every code of our routes has its catalog entry (a compile error otherwise).
ERROR_CATALOG satisfies Record<ErrorCode, CatalogEntry>;
