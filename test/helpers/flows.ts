// The authorization code flow as a partner's web app runs it: PKCE, the real login and consent forms.
import { expect } from 'chai';
import { Browser, type Page } from '../../packages/form-browser/browser.ts';
import { insecure, oauth } from './oauth.ts';
import { recordSecret } from './secret-registry.ts';

export interface WebApp {
  as: oauth.AuthorizationServer;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface AuthorizeOptions {
  scope: string;
  extra?: Record<string, string>;
  /** Decide at the consent page; default approve. */
  consent?: 'approve' | 'deny';
  browser?: Browser;
}

export function client(app: WebApp) {
  return { client: { client_id: app.clientId }, auth: oauth.ClientSecretBasic(app.clientSecret) };
}

export async function startAuthorization(app: WebApp, scope: string, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(app.as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: app.redirectUri,
    response_type: 'code',
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url, verifier, state };
}

export function isPage(value: Page | URL): value is Page {
  return !(value instanceof URL);
}

/** Signs in (if asked) and answers the consent page (if shown); returns the callback URL. */
export async function authorize(
  app: WebApp, user: { email: string; password: string; code?: () => Promise<string> }, options: AuthorizeOptions,
): Promise<{ callback: URL; verifier: string; state: string; browser: Browser; sawConsent: Page | undefined }> {
  const browser = options.browser ?? new Browser();
  const { url, verifier, state } = await startAuthorization(app, options.scope, options.extra);
  let step = await browser.navigate(url.href, app.redirectUri);
  let sawConsent: Page | undefined;
  for (let i = 0; i < 4 && isPage(step); i += 1) {
    const page: Page = step;
    const forms = Browser.forms(page);
    if (forms[0]?.fields.password !== undefined || /name="password"/.test(page.html)) {
      step = await browser.submit(forms[0]!, { email: user.email, password: user.password }, app.redirectUri);
    } else if (/name="code"/.test(page.html) && user.code) {
      // Two-factor: the code form, answered with a code computed from the user's secret.
      step = await browser.submit(forms.find((f) => f.action.endsWith('/code'))!, { code: await user.code() }, app.redirectUri);
    } else if (forms.some((f) => f.action.endsWith('/confirm'))) {
      // The consent page: Allow (…/confirm) or Deny (…/abort); a reused session adds "Not you?".
      sawConsent = page;
      const decision = forms.find((f) => f.action.endsWith(options.consent === 'deny' ? '/abort' : '/confirm'));
      step = await browser.submit(decision!, {}, app.redirectUri);
    } else {
      throw new Error(`unexpected page ${page.status}: ${page.html.slice(0, 500)}`);
    }
  }
  expect(step, 'the flow should end at the redirect URI').to.be.instanceOf(URL);
  return { callback: step as URL, verifier, state, browser, sawConsent };
}

/** The log scan (test/helpers/log-scan.ts) looks for these. */
function recordTokens(tokens: oauth.TokenEndpointResponse): void {
  recordSecret(tokens.access_token);
  recordSecret(tokens.refresh_token);
}

/** Full flow through the token endpoint. */
export async function authorizeAndExchange(
  app: WebApp, user: { email: string; password: string; code?: () => Promise<string> }, options: AuthorizeOptions,
) {
  const result = await authorize(app, user, options);
  const { client: c, auth } = client(app);
  const params = oauth.validateAuthResponse(app.as, c, result.callback, result.state);
  const response = await oauth.authorizationCodeGrantRequest(app.as, c, auth, params, app.redirectUri, result.verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(app.as, c, response, { requireIdToken: options.scope.split(' ').includes('openid') });
  recordTokens(tokens);
  return { ...result, tokens };
}

export async function refresh(app: WebApp, refreshToken: string) {
  const { client: c, auth } = client(app);
  const response = await oauth.refreshTokenGrantRequest(app.as, c, auth, refreshToken, insecure);
  const tokens = await oauth.processRefreshTokenResponse(app.as, c, response);
  recordTokens(tokens);
  return tokens;
}

export async function introspect(app: WebApp, token: string) {
  const { client: c, auth } = client(app);
  const response = await oauth.introspectionRequest(app.as, c, auth, token, insecure);
  return oauth.processIntrospectionResponse(app.as, c, response);
}
