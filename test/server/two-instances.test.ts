// Two Latchkey processes on one store (the embedded file here; MongoDB when MONGODB_URI is set),
// as behind a load balancer: they share signing keys, cookie keys and the pepper through the store.
import { expect } from 'chai';
import { Browser } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, introspect, refresh, type WebApp } from '../helpers/flows.ts';
import { clientCredentials, discover, expectOAuthError, verifyAccessToken } from '../helpers/oauth.ts';
import { dropDatabase, startInstance, stopInstance, type Instance } from '../helpers/instances.ts';
import { cli } from '../helpers/processes.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';

/** Every process started, stopped after the suite (a start that fails kills its own process). */
const started: Instance[] = [];

async function startTracked(env: Record<string, string>, port: number): Promise<Instance> {
  const instance = await startInstance(env, port);
  started.push(instance);
  return instance;
}

describe('two instances on one store', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let a: Instance;
  let b: Instance;
  let env: Record<string, string>;
  let issuer: string;

  before(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    // One public issuer, as behind a load balancer; each instance listens on its own port.
    issuer = `http://localhost:${portA}`;
    env = { ISSUER: issuer, DATA_DIR: dataDir, NODE_ENV: 'test' };
    if (process.env.MONGODB_URI) Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI, MONGODB_DATABASE: `latchkey_two_${Date.now()}` });
    // Started together on a new store: both race to create the schema and the key material.
    [a, b] = await Promise.all([startTracked(env, portA), startTracked(env, portB)]);
  });
  after(async () => {
    await Promise.all(started.map((instance) => stopInstance(instance)));
    // The instances made a database of their own on MongoDB: drop it, as the other suites do.
    if (env) await dropDatabase(env);
  });

  it('publish the same signing keys', async () => {
    const [ka, kb] = await Promise.all([a, b].map(async (i) => (await fetch(`${i.url}/jwks`)).json()));
    expect(ka).to.deep.equal(kb);
  });

  it('accept each other\'s clients, tokens and sessions; a refresh on one rotates the family for both', async () => {
    const account = JSON.parse((await cli(['account', 'create', '--name', 'LB Co', '--email', 'lb@two.example', '--password', 'a long enough password', '--json'], env)).stdout) as Record<string, string>;
    const service = JSON.parse((await cli(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts', '--json'], env)).stdout) as Record<string, string>;
    const redirectUri = 'http://localhost:8765/callback';
    const web = JSON.parse((await cli(['client', 'create', '--account', account.account_id!, '--name', 'web', '--type', 'web', '--scopes', 'offline_access read:contacts', '--redirect-uri', redirectUri, '--json'], env)).stdout) as Record<string, string>;

    // Each instance's endpoints, under the one issuer.
    const asFor = async (instance: Instance) => {
      const as = await discover(issuer);
      const swap = (u?: string) => u?.replace(issuer, instance.url);
      return { ...as, token_endpoint: swap(as.token_endpoint), authorization_endpoint: swap(as.authorization_endpoint),
        introspection_endpoint: swap(as.introspection_endpoint), jwks_uri: swap(as.jwks_uri) };
    };
    const asA = await asFor(a);
    const asB = await asFor(b);

    // A client secret made by the CLI works on both (shared pepper); a token from A verifies at B's JWKS.
    const fromA = await clientCredentials(asA, service.client_id!, service.client_secret!, 'read:contacts');
    await verifyAccessToken({ ...asB, issuer }, fromA.access_token);

    // Sign in on A; the session cookie is honoured by B (shared cookie keys): no second login.
    const user = { email: 'lb@two.example', password: 'a long enough password' };
    const appA: WebApp = { as: asA, clientId: web.client_id!, clientSecret: web.client_secret!, redirectUri };
    const browser = new Browser();
    const first = await authorizeAndExchange(appA, user, { scope: 'offline_access read:contacts', browser });
    const appB: WebApp = { ...appA, as: asB };
    const second = await authorizeAndExchange(appB, { email: 'x', password: 'wrong' }, { scope: 'offline_access read:contacts', browser });
    expect(second.sawConsent).to.equal(undefined);

    // Refresh on A, retry on B (the response was lost): B serves A's answer, sealed in the store.
    const rotated = await refresh(appA, first.tokens.refresh_token!);
    const retried = await refresh(appB, first.tokens.refresh_token!);
    expect(retried.refresh_token, 'the identical answer').to.equal(rotated.refresh_token);
    expect(retried.access_token).to.equal(rotated.access_token);
    // Use the new token on B, then replay the spent one on A: theft, and the family dies for both.
    const newest = await refresh(appB, rotated.refresh_token!);
    const replay = await expectOAuthError(() => refresh(appA, first.tokens.refresh_token!));
    expect(replay.error).to.equal('invalid_grant');
    expect((await introspect(appA, newest.refresh_token!)).active).to.equal(false);
    expect((await expectOAuthError(() => refresh(appB, newest.refresh_token!))).error).to.equal('invalid_grant');
  });
});
