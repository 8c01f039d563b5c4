// A resource server that meets a token signed by a key it has not fetched yet (a rotation made with
// a delay shorter than its JWKS cache) fetches the JWKS again, at most once every 30 seconds
// (jose's cooldown): a flood of tokens naming unknown keys does not become a flood of fetches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import { createGuard } from '../../packages/guard/index.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { startChild, type Child } from '../catalog/child.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COOLDOWN_MS = 30_000;

/** A JWKS endpoint in front of Latchkey's that counts the fetches it serves. */
async function countingJwks(issuer: string): Promise<{ url: string; fetches: () => number; close: () => Promise<void> }> {
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    fetch(`${issuer}/jwks`).then(async (upstream) => {
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    }, () => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the guard library and a key it has not fetched', function () {
  this.timeout(90_000);
  let latchkey: Child;
  let jwks: Awaited<ReturnType<typeof countingJwks>>;
  before(async () => {
    latchkey = await startChild({});
    jwks = await countingJwks(latchkey.issuer);
  });
  after(async () => {
    await jwks?.close();
    await latchkey?.stop();
  });

  it('fetches the JWKS again for an unknown kid, no more than once per cooldown', async () => {
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Kid Co', '--email', `kid.${Date.now()}@example.com`, '--password', 'correct horse battery staple 15']);
    const client = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts']);
    const as = await discover(latchkey.issuer);
    const token = async () => (await clientCredentials(as, client.client_id!, client.client_secret!, 'read:contacts')).access_token;
    const guard = createGuard({ issuer: latchkey.issuer, resource: `${latchkey.issuer}/api`, jwksUri: jwks.url, introspection: { clientId: 'unused', clientSecret: 'unused' } });

    const before = await token();
    await guard.authenticate(`Bearer ${before}`);
    const fetchedAt = Date.now();
    expect(jwks.fetches()).to.equal(1);

    // A rotation that signs almost at once: sooner than the cache (10 minutes) expects.
    expect((await cli(['signing-keys', 'rotate', '--activate-after', '1s', '--json'], latchkey.env)).code).to.equal(0);
    let fresh = await token();
    while (decodeProtectedHeader(fresh).kid === decodeProtectedHeader(before).kid) {
      await sleep(250);
      fresh = await token();
    }
    expect(Date.now() - fetchedAt, 'the new key signs within the cooldown').to.be.below(COOLDOWN_MS);

    // Within the cooldown the unknown key is refused, and not fetched for each token.
    for (let i = 0; i < 5; i += 1) {
      const refused = await guard.authenticate(`Bearer ${fresh}`).then(() => undefined, (err: unknown) => err);
      expect(refused, 'refused within the cooldown').to.be.instanceOf(Error);
    }
    expect(jwks.fetches(), 'no fetch for five unknown-key tokens').to.equal(1);

    // After it, the unknown kid makes the guard fetch again, long before its cache would expire.
    await sleep(fetchedAt + COOLDOWN_MS + 500 - Date.now());
    const principal = await guard.authenticate(`Bearer ${fresh}`);
    expect(principal.scopes).to.include('read:contacts');
    expect(jwks.fetches(), 'one more fetch').to.equal(2);
  });
});
