// What the benchmark needs in a Latchkey DATA_DIR, made through the product's own services (hashed
// secrets, audit events), plus API keys in bulk straight into SQLite, and refresh tokens obtained
// by running the real authorization code flow (login form, consent form, /token) over HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { loadSettings } from '../config/settings.ts';
import { createAccountWithUser } from '../server/accounts/service.ts';
import { createKey } from '../server/api-keys/service.ts';
import { generateApiKey, parseApiKey } from '../server/http/api-key-format.ts';
import { createClient } from '../server/clients/service.ts';
import { createResourceServer } from '../server/clients/resource-servers.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { silentLogger } from '../server/log.ts';
import { generateSortableId, type Pepper } from '../server/secrets.ts';
import { openStore } from '../server/store.ts';
import { Browser } from '../packages/form-browser/browser.ts';

export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const REFRESH_SCOPE = 'offline_access read:contacts';

export interface Seeded {
  accountId: string;
  apiKey: string;
  service: { clientId: string; clientSecret: string };
  web: { clientId: string; clientSecret: string };
  /** A resource server of the API the key is for: it introspects the key. */
  resourceServer: { clientId: string; clientSecret: string };
  user: { email: string; password: string };
  /** The server's ES256 signing key (private JWK): the bare provider signs with the same one. */
  es256: JWK;
}

/** An account with 20 contacts, `keys` API keys (one of them returned), a service and a web client, and a resource server. */
export async function seed(env: Record<string, string | undefined>, keys: number): Promise<Seeded> {
  const settings = loadSettings(env);
  const store = await openStore(settings);
  try {
    const { pepper, jwks } = await loadKeyMaterial(settings, store, silentLogger);
    const user = { email: 'bench@example.com', password: `bench ${randomBytes(12).toString('base64url')}` };
    const { accountId } = await createAccountWithUser(store, { name: 'Bench', ...user });
    for (let i = 0; i < 20; i += 1) {
      const now = new Date();
      await store.insertRecord({ kind: 'contact', accountId, environment: 'test', id: generateSortableId('ct'), data: { name: `Contact ${i}`, email: `c${i}@example.com` }, createdAt: now, updatedAt: now });
    }
    const apiKey = (await createKey(store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' })).key;
    const service = await createClient(store, pepper, { accountId, name: 'bench service', type: 'service', scopes: 'read:contacts', actor: 'cli' });
    const web = await createClient(store, pepper, {
      accountId, name: 'bench web app', type: 'web', scopes: REFRESH_SCOPE, redirectUris: [REDIRECT_URI], actor: 'cli',
    });
    const resourceServer = await createResourceServer(store, pepper, { resource: `${settings.issuer}/api`, name: 'bench api', issuer: settings.issuer, actor: 'cli' });
    await store.close();
    if (keys > 1) insertKeys(join(settings.dataDir, 'latchkey.sqlite'), pepper, accountId, keys - 1);
    return {
      accountId, apiKey, user, es256: jwks.keys.find((k) => k.kty === 'EC') as JWK,
      service: { clientId: service.clientId, clientSecret: service.clientSecret! },
      web: { clientId: web.clientId, clientSecret: web.clientSecret! },
      resourceServer: { clientId: resourceServer.clientId, clientSecret: resourceServer.clientSecret },
    };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}

/** `count` more real keys (real HMACs of real key values), one prepared INSERT in one transaction. */
function insertKeys(file: string, pepper: Pepper, accountId: string, count: number): void {
  const db = new DatabaseSync(file);
  try {
    const insert = db.prepare(`INSERT INTO api_keys (id, account_id, environment, name, scopes, hash, prefix, last4,
      created_by, created_at) VALUES (?, ?, 'test', ?, '["read:contacts"]', ?, ?, ?, 'cli', ?)`);
    const now = Date.now();
    db.exec('BEGIN');
    for (let i = 0; i < count; i += 1) {
      const key = generateApiKey('test');
      const { hint } = parseApiKey(key)!;
      insert.run(generateSortableId('key'), accountId, `bulk ${i}`, pepper.hash(key), hint.prefix, hint.last4, now);
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** One authorization code flow with PKCE through the real login and consent forms; its refresh token. */
async function oneRefreshToken(issuer: string, seeded: Seeded, browser: Browser): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: seeded.web.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: REFRESH_SCOPE,
    state: randomBytes(8).toString('hex'), code_challenge_method: 'S256',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
  }).toString();
  let step = await browser.navigate(url.href, REDIRECT_URI);
  for (let i = 0; i < 3 && !(step instanceof URL); i += 1) {
    const forms = Browser.forms(step);
    const login = forms.find((f) => 'password' in f.fields || /name="password"/.test(step instanceof URL ? '' : step.html));
    const consent = forms.find((f) => f.action.endsWith('/confirm'));
    if (login) step = await browser.submit(login, seeded.user, REDIRECT_URI);
    else if (consent) step = await browser.submit(consent, {}, REDIRECT_URI);
    else throw new Error(`authorization flow: unexpected page ${step.status}: ${step.html.slice(0, 300)}`);
  }
  if (!(step instanceof URL)) throw new Error('authorization flow: no redirect to the callback');
  const code = step.searchParams.get('code');
  if (!code) throw new Error(`authorization flow: ${step.search}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(seeded.web.clientId, seeded.web.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
  });
  const body = await response.json() as { refresh_token?: string };
  if (!response.ok || !body.refresh_token) throw new Error(`code exchange: ${response.status} ${JSON.stringify(body)}`);
  return body.refresh_token;
}

/** `n` refresh tokens of the web client, each from its own authorization code flow (one sign-in). */
export async function refreshTokens(issuer: string, seeded: Seeded, n: number): Promise<string[]> {
  const browser = new Browser();
  const tokens: string[] = [];
  for (let i = 0; i < n; i += 1) tokens.push(await oneRefreshToken(issuer, seeded, browser));
  return tokens;
}

export { basic };
