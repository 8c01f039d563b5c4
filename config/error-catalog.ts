// The error catalog: every code the server can emit, on the OAuth endpoints (RFC 6749 and its
// extensions) and on our own routes, with when it happens, what the integrator does, and real
// answers. docs/errors.md is generated from it; our own codes' status and message live in
// ERROR_CODES (config/errors.ts), which every own code here must match.
import type { ErrorCode } from './errors.ts';

/** What a client does about an error: the branch a partner's code takes. */
export const REACTIONS = {
  fix: 'fix your client: the same request fails again',
  reauthorize: 'ask the user to authorize again',
  refresh: 'refresh once, retry once, then fail loudly',
  retry: 'retry later: after Retry-After when sent, else with backoff',
  user: 'tell the user',
} as const;

export type Reaction = keyof typeof REACTIONS;

export interface CatalogEntry {
  /** When it happens. */
  when: string;
  reaction: Reaction;
  /** What the integrator should do. */
  action: string;
  /** RFC 6749's form, at the OAuth endpoints or in an authorization redirect. */
  oauth?: { status: string; examples: readonly string[] };
  /** Our form (status and message from ERROR_CODES); examples default to the plain body. */
  latchkey?: { examples?: readonly string[] };
}

// Examples are real answers, with $ISSUER for the server's address ($ISSUER_ENCODED inside a URL).
const LINK = '"error_uri":"$ISSUER/docs/errors#';
const CALLBACK = 'https://app.example/callback?error=';
const ISS = 'state=af0ifjsldkj&iss=$ISSUER_ENCODED&error_uri=$ISSUER_ENCODED%2Fdocs%2Ferrors%23';

export const ERROR_CATALOG = {
  invalid_request: {
    when: 'OAuth endpoints: a parameter is missing, repeated or malformed, the body is not form-encoded or too large, '
      + 'or (at /auth) PKCE is missing. Our routes: the body is not valid JSON, or the request is malformed.',
    reaction: 'fix',
    action: 'Read error_description (or message), correct the request, send it again. A code refused this way is not spent.',
    oauth: {
      status: '400 (a redirect to the client at /auth)',
      examples: [
        `{"error":"invalid_request","error_description":"'scope' parameter must not be provided twice",${LINK}invalid_request"}`,
        `${CALLBACK}invalid_request&error_description=Authorization+Server+policy+requires+PKCE+to+be+used+for+this+request&${ISS}invalid_request`,
      ],
    },
    latchkey: { examples: ['{"error":{"code":"invalid_request","message":"The body is not valid JSON.","docs_url":"$ISSUER/docs/errors#invalid_request"}}'] },
  },
  invalid_client: {
    when: 'Client authentication failed at /token, /token/introspection, /token/revocation or /request: unknown or deleted client, '
      + 'wrong secret or a rotated-out secret past its overlap, a bad private_key_jwt assertion, no client authentication, '
      + 'or client_secret_jwt (not offered). At /auth an unknown client_id gets an error page.',
    reaction: 'fix',
    action: 'Check the client_id, the secret (after a rotation, deploy the new one before the overlap ends) and the authentication method. '
      + 'A deleted client cannot be recovered: register a new one. Repeated failures are rate limited (temporarily_unavailable).',
    oauth: { status: '401 (error page 400 at /auth)', examples: [`{"error":"invalid_client","error_description":"client authentication failed",${LINK}invalid_client"}`] },
  },
  invalid_grant: {
    when: 'The authorization code or refresh token is unknown, expired, spent or revoked, was issued to another client, '
      + 'or the PKCE verifier or redirect_uri does not match. error_description says which (docs/tokens.md lists the reasons of a refresh and of a code exchange).',
    reaction: 'reauthorize',
    action: 'Stop using the refresh token and send the user through authorization again; do not retry it. '
      + 'Exception: "just used with other parameters" means repeat the original refresh request instead.',
    oauth: {
      status: '400',
      examples: [
        `{"error":"invalid_grant","error_description":"refresh token already used: the grant has been revoked, with every token issued from it; the user must authorize the client again",${LINK}invalid_grant"}`,
        `{"error":"invalid_grant","error_description":"code_verifier does not match the code_challenge of the authorization request: send the verifier made with that challenge",${LINK}invalid_grant"}`,
      ],
    },
  },
  unauthorized_client: {
    when: 'The client uses a grant type it is not registered for: client_credentials by a web client, authorization_code or refresh_token by a service client.',
    reaction: 'fix',
    action: 'Use the flow the client was registered for (docs/clients), or register a client of the other type.',
    oauth: { status: '400', examples: [`{"error":"unauthorized_client","error_description":"requested grant type is not allowed for this client",${LINK}unauthorized_client"}`] },
  },
  unsupported_grant_type: {
    when: 'A grant_type Latchkey does not offer (password, device_code, …).',
    reaction: 'fix',
    action: 'Use authorization_code (with PKCE), refresh_token or client_credentials.',
    oauth: { status: '400', examples: [`{"error":"unsupported_grant_type","error_description":"unsupported grant_type requested",${LINK}unsupported_grant_type"}`] },
  },
  invalid_scope: {
    when: 'A requested scope does not exist, the client may not hold it, or a refresh asks for more than the grant holds. The description and `scope` name it.',
    reaction: 'fix',
    action: 'Request only scopes from the catalog (docs/scopes) that the client is allowed; nothing is dropped silently.',
    oauth: {
      status: '400 (a redirect to the client at /auth)',
      examples: [
        `{"error":"invalid_scope","error_description":"scope 'write:contacts' is not allowed for this client","scope":"write:contacts",${LINK}invalid_scope"}`,
        `${CALLBACK}invalid_scope&error_description=scope+%27read%3Abilling%27+is+not+allowed+for+this+client&scope=read%3Abilling&${ISS}invalid_scope`,
      ],
    },
  },
  invalid_client_metadata: {
    when: 'A dynamic client registration (RFC 7591, POST $ISSUER/reg) asks for something Latchkey does not give: a client_secret_* authentication method '
      + '(registered clients are public or private_key_jwt), jwks_uri, a scope that does not exist, or one of Latchkey\'s own urn:latchkey: properties. '
      + 'The description names the field.',
    reaction: 'fix',
    action: 'Register with token_endpoint_auth_method none (and PKCE) or private_key_jwt with jwks, and only scopes from the catalog (docs/scopes).',
    oauth: {
      status: '400',
      examples: [
        `{"error":"invalid_client_metadata","error_description":"scope: unknown scope read:everything; the scopes that exist are listed at /docs/scopes",${LINK}invalid_client_metadata"}`,
      ],
    },
  },
  invalid_target: {
    when: 'A `resource` (RFC 8707) other than the Partner API, $ISSUER/api.',
    reaction: 'fix',
    action: 'Send resource=$ISSUER/api, or no resource at all (it is the default).',
    oauth: { status: '400', examples: [`{"error":"invalid_target","error_description":"unknown resource; the Partner API is $ISSUER/api",${LINK}invalid_target"}`] },
  },
  unsupported_token_type: {
    when: 'Revoking a JWT access token (RFC 7009 2.2.1): they cannot be revoked, which is why they are short.',
    reaction: 'fix',
    action: 'Revoke the refresh token instead: that revokes the grant and every token issued from it.',
    oauth: { status: '400', examples: [`{"error":"unsupported_token_type","error_description":"Structured JWT Tokens cannot be revoked via the revocation_endpoint",${LINK}unsupported_token_type"}`] },
  },
  access_denied: {
    when: 'The user denied the consent page, or cancelled the sign-in.',
    reaction: 'user',
    action: 'Tell the user the app was not connected; offer to start again. Do not loop back automatically.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}access_denied&error_description=the+user+denied+the+request&${ISS}access_denied`] },
  },
  login_required: {
    when: 'prompt=none, and the user is not signed in.',
    reaction: 'reauthorize',
    action: 'Send the user through authorization again without prompt=none.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}login_required&error_description=End-User+authentication+is+required&${ISS}login_required`] },
  },
  consent_required: {
    when: 'prompt=none, and the request needs consent the user has not given (new scopes, say).',
    reaction: 'reauthorize',
    action: 'Send the user through authorization again without prompt=none.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}consent_required&error_description=requested+scopes+not+granted&${ISS}consent_required`] },
  },
  interaction_required: {
    when: 'prompt=none, and the user must interact for a reason other than sign-in or consent (oidc-provider\'s generic code; not expected for web and service clients).',
    reaction: 'reauthorize',
    action: 'Send the user through authorization again without prompt=none.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}interaction_required&error_description=interaction+is+required+from+the+end-user&${ISS}interaction_required`] },
  },
  invalid_request_uri: {
    when: 'At /auth, a request_uri from /request (PAR) that is unknown, expired or already used.',
    reaction: 'fix',
    action: 'Push the request again (POST /request) and use the new request_uri at once; each is good for one use.',
    oauth: { status: '400 (redirect to the client, or an error page)', examples: [`${CALLBACK}invalid_request_uri&error_description=request_uri+is+invalid%2C+expired%2C+or+was+already+used&${ISS}invalid_request_uri`] },
  },
  request_not_supported: {
    when: 'A `request` parameter (a request object) at /auth or /request: not offered.',
    reaction: 'fix',
    action: 'Send the parameters as such, or push them with PAR (/request).',
    oauth: {
      status: '400 at /request; a redirect to the client at /auth',
      examples: [`{"error":"request_not_supported",${LINK}request_not_supported"}`, `${CALLBACK}request_not_supported&${ISS}request_not_supported`],
    },
  },
  registration_not_supported: {
    when: 'A `registration` parameter at /auth: dynamic registration is not offered.',
    reaction: 'fix',
    action: 'Register the client in the portal or with the CLI.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}registration_not_supported&${ISS}registration_not_supported`] },
  },
  unsupported_response_type: {
    when: 'A response_type other than `code`.',
    reaction: 'fix',
    action: 'Use response_type=code with PKCE.',
    oauth: { status: '303, a redirect to the client (in the fragment)', examples: [`https://app.example/callback#error=unsupported_response_type&error_description=unsupported+response_type+requested&${ISS}unsupported_response_type`] },
  },
  unsupported_response_mode: {
    when: 'A response_mode Latchkey does not offer (query, fragment and form_post are offered).',
    reaction: 'fix',
    action: 'Drop response_mode, or use query or form_post.',
    oauth: { status: '303, a redirect to the client', examples: [`${CALLBACK}unsupported_response_mode&error_description=unsupported+response_mode+requested&${ISS}unsupported_response_mode`] },
  },
  invalid_redirect_uri: {
    when: 'At /auth, a redirect_uri the client did not register: an error page, never a redirect (the server cannot trust it). '
      + 'At /request (PAR) the same is invalid_request, as RFC 9126 says. At a dynamic registration ($ISSUER/reg), a redirect URI '
      + 'its kind of client may not use (a public client: loopback http, a private-use scheme or https), named in the description.',
    reaction: 'fix',
    action: 'Send exactly one of the client\'s registered redirect URIs, byte for byte.',
    oauth: {
      status: '400, an error page at /auth',
      examples: ['<p class="error" role="alert">redirect_uri did not match any of the client&#39;s registered redirect_uris</p>\n'
        + '<p class="note">Error code: <code>invalid_redirect_uri</code></p>',
      `{"error":"invalid_redirect_uri","error_description":"redirect_uris: redirect URI 'http://example.com/callback' must be http on 127.0.0.1, [::1] or localhost, https, or a private-use scheme named after a domain you own (such as com.example.app:/callback)",${LINK}invalid_redirect_uri"}`],
    },
  },
  temporarily_unavailable: {
    when: '429: too many failed client authentications from this address (per client, or for all; see docs/operations), '
      + 'or too many failed API-key introspections from this address, '
      + 'or too many open client registrations from this address or in total (docs/agents). '
      + '503: the data store is unavailable. RFC 6749 has no code of its own for the first.',
    reaction: 'retry',
    action: 'Wait the seconds in Retry-After, then send the same request again (a refresh repeated within the retry window gets the identical answer). Never loop without waiting.',
    oauth: {
      status: '429 or 503, with Retry-After',
      examples: [
        `{"error":"temporarily_unavailable","error_description":"too many failed client authentications from this address; retry in 60 seconds",${LINK}temporarily_unavailable"}`,
        `{"error":"temporarily_unavailable","error_description":"the data store is unavailable; retry shortly",${LINK}temporarily_unavailable"}`,
      ],
    },
  },
  server_error: {
    when: 'A bug on our side at an OAuth endpoint (logged).',
    reaction: 'retry',
    action: 'Retry a few times with backoff; if it persists, report it with the X-Request-Id header of the answer.',
    oauth: { status: '500', examples: [`{"error":"server_error","error_description":"oops! something went wrong",${LINK}server_error"}`] },
  },
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
