// The error catalog, part one: the codes the OAuth endpoints answer (RFC 6749 and its extensions),
// in RFC 6749's form ({"error", "error_description", "error_uri"}, or error=… on a redirect); some
// of them also on our own routes. config/error-catalog.ts puts it together with our own codes.
import { CALLBACK, ISS, LINK, type CatalogEntry } from './error-catalog-entry.ts';

export const OAUTH_ERROR_CATALOG = {
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
} as const satisfies Record<string, CatalogEntry>;
