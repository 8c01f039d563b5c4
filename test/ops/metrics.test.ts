// /metrics over HTTP, as Prometheus scrapes it: each counter moves with the labels an operator
// alerts on, request durations carry route templates (never a raw id), and in production the
// endpoint is off unless METRICS_TOKEN or METRICS_PORT says how to reach it.
import { expect } from 'chai';
import { API_SCOPE_NAMES } from '../../config/scopes.ts';
import { loadSettings } from '../../config/settings.ts';
import { createKey, revokeKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, refresh, startAuthorization, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError } from '../helpers/oauth.ts';
import { capturingLogger, freePort, startServer, type TestServer } from '../helpers/server.ts';
import { sample } from '../helpers/metrics.ts';


const REDIRECT_URI = 'http://localhost:8765/callback';
const TOKEN = 'scrape-token-0123456789abcdef';

describe('metrics', () => {
  describe('counters, outside production', () => {
    let server: TestServer;
    before(async () => { server = await startServer(); });
    after(() => server.stop({ removeData: true }));

    const scrape = async () => {
      const response = await fetch(`${server.issuer}/metrics`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };

    it('counts tokens, guard checks, key events, refresh reuse and sign-in failures with their labels', async () => {
      const as = await discover(server.issuer);
      const service = await server.createClient({ name: 'Metrics Svc', type: 'service', scopes: 'read:contacts' });
      await clientCredentials(as, service.clientId, service.clientSecret, 'read:contacts');
      await expectOAuthError(() => clientCredentials(as, service.clientId, 'wrong-secret', 'read:contacts'));

      const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
      const accountId = (await server.createUser('Metrics Co')).accountId;
      const admin = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: [...API_SCOPE_NAMES], actor: 'cli' })).key;
      const created = await call(server.issuer, 'POST', '/v1/api-keys', admin, { name: 'metrics', scopes: ['read:contacts'] });
      expect(created.status).to.equal(201);
      const keyId = String(created.body.id);
      expect((await call(server.issuer, 'GET', `/v1/api-keys/${keyId}`, admin)).status).to.equal(200);
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key))).status).to.equal(200);
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', 'sk_test_not-a-real-key')).status).to.equal(401);
      const record = await server.latchkey.store.findApiKeyByHash(pepper.hash(String(created.body.key)));
      await revokeKey(server.latchkey.store, record!, 'metrics test', 'cli');
      expect((await call(server.issuer, 'GET', '/api/v1/contacts', String(created.body.key))).status).to.equal(401);

      // A refresh token presented again after its successor was used: reuse.
      const web = await server.createClient({ name: 'Metrics Web', type: 'web', scopes: 'offline_access read:contacts', redirectUris: [REDIRECT_URI] });
      const app: WebApp = { as, clientId: web.clientId, clientSecret: web.clientSecret, redirectUri: REDIRECT_URI };
      const user = await server.createUser('Refresh Co');
      const { tokens } = await authorizeAndExchange(app, user, { scope: 'offline_access read:contacts' });
      const next = await refresh(app, tokens.refresh_token!);
      await refresh(app, next.refresh_token!);
      await expectOAuthError(() => refresh(app, tokens.refresh_token!));

      // A wrong password on the login page.
      const browser = new Browser();
      const login = pageOf(await browser.navigate((await startAuthorization(app, 'read:contacts')).url.href, REDIRECT_URI));
      const form = Browser.forms(login)[0]!;
      await browser.submit(form, { email: user.email, password: 'not the password' }, REDIRECT_URI);

      const text = await scrape();
      expect(sample(text, 'latchkey_tokens_issued_total', { grant_type: 'client_credentials', environment: 'test' })).to.equal(1);
      expect(sample(text, 'latchkey_tokens_issued_total', { grant_type: 'authorization_code', environment: 'test' })).to.equal(1);
      expect(sample(text, 'latchkey_tokens_issued_total', { grant_type: 'refresh_token', environment: 'test' })).to.equal(2);
      expect(sample(text, 'latchkey_token_errors_total', { error: 'invalid_client' })).to.equal(1);
      expect(sample(text, 'latchkey_token_errors_total', { error: 'invalid_grant' })).to.equal(1);
      expect(sample(text, 'latchkey_refresh_reuse_detected_total')).to.equal(1);
      expect(text).to.include('latchkey_refresh_retries_served_total 0');
      expect(text).to.include('latchkey_refresh_races_coalesced_total 0');
      expect(sample(text, 'latchkey_guard_verifications_total', { credential: 'api_key', outcome: 'ok' })).to.be.at.least(3);
      expect(sample(text, 'latchkey_guard_verifications_total', { credential: 'api_key', outcome: 'invalid' })).to.equal(1);
      expect(sample(text, 'latchkey_guard_verifications_total', { credential: 'api_key', outcome: 'revoked' })).to.equal(1);
      expect(sample(text, 'latchkey_api_key_events_total', { action: 'created' })).to.equal(2);
      expect(sample(text, 'latchkey_api_key_events_total', { action: 'revoked' })).to.equal(1);
      expect(sample(text, 'latchkey_sign_in_refusals_total', { reason: 'failure' })).to.equal(1);

      // Durations by route template: the key's id never becomes a label.
      expect(sample(text, 'latchkey_http_request_duration_seconds_count', { method: 'GET', route: '/v1/api-keys/:id', status: '200' })).to.equal(1);
      expect(sample(text, 'latchkey_http_request_duration_seconds_count', { method: 'POST', route: 'token', status: '200' })).to.be.at.least(4);
      expect(text).not.to.include(keyId);
      expect(text).not.to.include(service.clientId);
      expect(sample(text, 'latchkey_store_operation_duration_seconds_count', { operation: 'createApiKey', outcome: 'ok' })).to.equal(2);
      expect(sample(text, 'latchkey_store_operation_duration_seconds_count', { operation: 'oidc.consume', outcome: 'ok' })).to.be.at.least(2);
      const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
      expect([...routes].filter((route) => /[0-9a-f]{8,}|[A-Za-z0-9_-]{20,}/.test(route!)), 'raw ids in route labels').to.deep.equal([]);
      expect(text).to.include('process_cpu_user_seconds_total');
    });

    it('counts a key revoked because it was sent in a URL', async () => {
      const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
      const accountId = (await server.createUser('Leaky Co')).accountId;
      const { key } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
      const before = sample(await scrape(), 'latchkey_api_keys_revoked_exposed_in_url_total');
      await fetch(`${server.issuer}/api/v1/contacts?api_key=${key}`);
      expect(sample(await scrape(), 'latchkey_api_keys_revoked_exposed_in_url_total')).to.equal(before + 1);
    });
  });

  describe('in production', () => {
    const servers: TestServer[] = [];
    afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.stop({ removeData: true }))); });
    const production = async (env: Record<string, string> = {}) => {
      const log = capturingLogger();
      const server = await startServer({ env: { NODE_ENV: 'production', ...env }, log });
      servers.push(server);
      return { server, log };
    };

    it('answers 404 without METRICS_TOKEN or METRICS_PORT, and says so at boot', async () => {
      const { server, log } = await production();
      expect((await fetch(`${server.issuer}/metrics`)).status).to.equal(404);
      expect(log.lines.join('\n')).to.include('/metrics is off in production');
    });

    it('requires the bearer token when METRICS_TOKEN is set', async () => {
      const { server } = await production({ METRICS_TOKEN: TOKEN });
      expect((await fetch(`${server.issuer}/metrics`)).status).to.equal(401);
      expect((await fetch(`${server.issuer}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status).to.equal(401);
      const ok = await fetch(`${server.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.include('latchkey_tokens_issued_total');
    });

    it('serves /metrics on METRICS_PORT only, and 404 on the main port', async () => {
      const port = await freePort();
      const { server, log } = await production({ METRICS_PORT: String(port) });
      expect((await fetch(`${server.issuer}/metrics`)).status).to.equal(404);
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.status).to.equal(200);
      expect(await scraped.text()).to.include('latchkey_http_request_duration_seconds');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(404);
      expect(log.lines.join('\n')).to.include(`served on 127.0.0.1:${port} only`);
    });
  });

  describe('settings', () => {
    it('validates METRICS_TOKEN and METRICS_PORT, naming the variable', () => {
      expect(() => loadSettings({ METRICS_TOKEN: 'short' })).to.throw(/METRICS_TOKEN: must be at least 16/);
      expect(() => loadSettings({ METRICS_PORT: 'nine' })).to.throw(/METRICS_PORT: "nine" is not allowed/);
      expect(() => loadSettings({ PORT: '4000', METRICS_PORT: '4000' })).to.throw(/METRICS_PORT/);
      const settings = loadSettings({ METRICS_TOKEN: TOKEN, METRICS_PORT: '9464' });
      expect(settings).to.include({ metricsToken: TOKEN, metricsPort: 9464 });
    });
  });
});
