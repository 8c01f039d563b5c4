// The comparison server: bare oidc-provider with nothing of Latchkey's around it. Memory adapter,
// one static client with a plain secret (client_secret_basic), the same ES256 key Latchkey signs
// with, JWT access tokens for one resource, rotating refresh tokens. Started by bench/run.ts with
// an IPC channel: it sends 'ready' once listening, answers {mint: n} with n refresh tokens and
// {opaque: true} with an opaque access token (for introspection, which is on).
// The refresh tokens are minted in-process (a Grant and a RefreshToken saved to the memory adapter,
// as the authorization code grant would save them): the documented, simpler equivalent of running
// the authorization code flow against a provider that has no login pages.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider, { type JWK } from 'oidc-provider';
import { durableAdapter, withInstrumentation } from './instrumentation-floor.ts';

const port = Number(process.env.BARE_PORT);
const issuer = `http://127.0.0.1:${port}`;
const resource = process.env.BARE_RESOURCE!;
const clientId = process.env.BARE_CLIENT_ID!;
const clientSecret = process.env.BARE_CLIENT_SECRET!;
const es256 = JSON.parse(readFileSync(process.env.BARE_KEY_FILE!, 'utf8')) as JWK;
const SCOPE = 'offline_access read:contacts';

const provider = new Provider(issuer, {
  ...(process.env.BARE_STORE_DIR ? { adapter: await durableAdapter(process.env.BARE_STORE_DIR) } : {}),
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [es256] },
  scopes: ['offline_access', 'read:contacts'],
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read:contacts', audience: resource, accessTokenTTL: 900, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
});

/** n refresh tokens, each of its own grant, as the authorization code grant would have saved them. */
async function mint(n: number): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  const tokens: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const accountId = `bench-user-${i}`;
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(resource, 'read:contacts');
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId, client, grantId, scope: SCOPE, gty: 'authorization_code', rotations: 0,
      iiat: Math.floor(Date.now() / 1000), expiresWithSession: false, resource,
    } as ConstructorParameters<typeof provider.RefreshToken>[0]);
    tokens.push(await token.save());
  }
  return tokens;
}

/** An opaque access token of the client's (no resource: oidc-provider's default format), as /token would save it. */
async function opaqueAccessToken(): Promise<string> {
  const client = await provider.Client.find(clientId);
  const token = new provider.AccessToken({ accountId: 'bench-user', client, scope: 'read:contacts', gty: 'client_credentials' } as ConstructorParameters<typeof provider.AccessToken>[0]);
  return token.save();
}

const handle = provider.callback();
const listener = process.env.BARE_INSTRUMENTED === '1' ? withInstrumentation(issuer, handle) : (req: IncomingMessage, res: ServerResponse) => { void handle(req, res); };
createServer(listener).listen(port, '127.0.0.1', () => process.send!('ready'));
process.on('message', (message: { mint?: number; opaque?: boolean }) => {
  if (message.mint) void mint(message.mint).then((tokens) => process.send!({ tokens }));
  if (message.opaque) void opaqueAccessToken().then((token) => process.send!({ token }));
});
// Exit normally on SIGTERM too, so that --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
