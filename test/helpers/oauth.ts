// The partner's side: oauth4webapi (an independent client library) and jose for JWT verification.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(url, response);
}

/** Verifies an access token the way a resource server must: signature against the JWKS, iss, aud, typ, exp. */
export async function verifyAccessToken(as: oauth.AuthorizationServer, token: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: as.issuer,
    audience: `${as.issuer}/api`,
    typ: 'at+jwt',
    algorithms: ['ES256'],
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
  });
  if (protectedHeader.alg !== 'ES256') throw new Error(`unexpected alg ${protectedHeader.alg}`);
  return payload;
}

export async function clientCredentials(
  as: oauth.AuthorizationServer, clientId: string, clientSecret: string, scope?: string,
): Promise<oauth.TokenEndpointResponse> {
  const client = { client_id: clientId };
  const params = new URLSearchParams(scope === undefined ? {} : { scope });
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), params, insecure);
  return oauth.processClientCredentialsResponse(as, client, response);
}

export interface OAuthErrorResponse {
  status: number;
  error: string;
  error_description: string | undefined;
  response: Response;
}

/** Runs `fn` expecting an OAuth error response (RFC 6749 JSON); returns it. */
export async function expectOAuthError(fn: () => Promise<unknown>): Promise<OAuthErrorResponse> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      return { status: err.status, error: err.error, error_description: err.error_description, response: err.response };
    }
    // A 401 carries a WWW-Authenticate challenge; oauth4webapi surfaces that first. Read the body.
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      const body = await err.response.json() as { error: string; error_description?: string };
      return { status: err.status, error: body.error, error_description: body.error_description, response: err.response };
    }
    throw err;
  }
  throw new Error('expected an OAuth error response, got success');
}

export { oauth };
