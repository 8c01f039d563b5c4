// Signing keys that rotate without an outage: a new key is published at once and signs only after
// its delay; the key it replaces stays published until every token it signed has expired, then
// leaves the JWKS. Running instances follow the store within seconds, with no restart.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { decodeProtectedHeader, type JWK } from 'jose';
import { createGuard } from '../../packages/guard/index.ts';
import { loadSettings } from '../../config/settings.ts';
import { generateJwks } from '../../server/keys.ts';
import { entryOf, serializeEntries, RETIRE_AFTER_SECONDS, nextTransition, providerKeys, statesOf, type SigningKeyEntry } from '../../server/signing-keys.ts';
import { call } from '../helpers/api.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { sample } from '../helpers/metrics.ts';
import { cli } from '../helpers/processes.ts';
import { startChild, type Child } from '../catalog/child.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const entry = (kid: string, alg: 'ES256' | 'RS256', activateAt: number): SigningKeyEntry => ({ kid, alg, jwk: { kid, alg }, createdAt: 0, activateAt });

describe('signing-key states', () => {
  const keys = [entry('es-1', 'ES256', 0), entry('rs-1', 'RS256', 0), entry('es-2', 'ES256', 1000), entry('rs-2', 'RS256', 1000)];
  const stateAt = (now: number) => Object.fromEntries(statesOf(keys, now).map((s) => [s.entry.kid, s.state]));

  it('next, then active, while the replaced key retires after the longest token lifetime, then is retired', () => {
    expect(stateAt(999)).to.deep.equal({ 'es-1': 'active', 'rs-1': 'active', 'es-2': 'next', 'rs-2': 'next' });
    expect(stateAt(1000)).to.deep.equal({ 'es-1': 'retiring', 'rs-1': 'retiring', 'es-2': 'active', 'rs-2': 'active' });
    expect(stateAt(1000 + RETIRE_AFTER_SECONDS - 1)['es-1']).to.equal('retiring');
    expect(stateAt(1000 + RETIRE_AFTER_SECONDS)).to.deep.include({ 'es-1': 'retired', 'rs-1': 'retired' });
  });

  it('gives oidc-provider the active key of each algorithm first, and no retired key', () => {
    expect(providerKeys(keys, 999).map((k) => k.kid)).to.deep.equal(['es-1', 'rs-1', 'es-2', 'rs-2']);
    expect(providerKeys(keys, 1000).map((k) => k.kid)).to.deep.equal(['es-2', 'rs-2', 'es-1', 'rs-1']);
    expect(providerKeys(keys, 1000 + RETIRE_AFTER_SECONDS).map((k) => k.kid)).to.deep.equal(['es-2', 'rs-2']);
  });

  it('keeps publishing a key listed after another when neither has a time (LATCHKEY_JWKS, newest first)', () => {
    const listed = [entry('es-new', 'ES256', 0), entry('es-old', 'ES256', 0), entry('rs-1', 'RS256', 0)];
    expect(statesOf(listed, 10_000_000).map((s) => [s.entry.kid, s.state])).to.deep.equal([['es-old', 'retiring'], ['es-new', 'active'], ['rs-1', 'active']]);
    expect(providerKeys(listed, 10_000_000).map((k) => k.kid)).to.deep.equal(['es-new', 'rs-1', 'es-old']);
  });

  it('wakes the server at each change', () => {
    expect(nextTransition(keys, 10)).to.equal(1000);
    expect(nextTransition(keys, 1000)).to.equal(1000 + RETIRE_AFTER_SECONDS);
    expect(nextTransition(keys, 1000 + RETIRE_AFTER_SECONDS)).to.equal(undefined);
  });
});

describe('latchkey signing-keys rotate, under load', function () {
  this.timeout(60_000);
  let latchkey: Child;

  before(async () => {
    latchkey = await startChild({});
  });
  after(() => latchkey?.stop());

  it('no request fails: a resource server with a cached JWKS verifies every token, old and new, and the built-in API accepts them', async () => {
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Keys Co', '--email', `rotate.${Date.now()}@example.com`, '--password', 'correct horse battery staple 13']);
    const client = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'svc', '--type', 'service', '--scopes', 'read:contacts']);
    const as = await discover(latchkey.issuer);
    const before = (await clientCredentials(as, client.client_id!, client.client_secret!, 'read:contacts')).access_token;
    const oldKid = decodeProtectedHeader(before).kid;

    const failures: string[] = [];
    const kids = new Set<string>();
    let running = true;
    // The resource server joins once the new key is published (below).
    const resourceServer: { guard?: ReturnType<typeof createGuard> } = {};
    const worker = async () => {
      while (running) {
        try {
          const token = (await clientCredentials(as, client.client_id!, client.client_secret!, 'read:contacts')).access_token;
          kids.add(String(decodeProtectedHeader(token).kid));
          if (resourceServer.guard) await resourceServer.guard.authenticate(`Bearer ${token}`);
          const res = await call(latchkey.issuer, 'GET', '/api/v1/contacts', token);
          if (res.status !== 200) failures.push(`built-in API: ${res.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const workers = Promise.all([worker(), worker(), worker()]);
    await sleep(300);
    const rotated = JSON.parse((await cli(['signing-keys', 'rotate', '--activate-after', '8s', '--json'], latchkey.env)).stdout) as {
      activates_at: string; data: { kid: string; state: string }[];
    };
    const newKid = rotated.data.find((k) => k.state === 'next')!.kid;
    // Published at once (each instance reads the store every few seconds), long before it signs.
    let published: string[] = [];
    while (!published.includes(newKid)) {
      await sleep(200);
      published = (await (await fetch(`${latchkey.issuer}/jwks`)).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    }
    expect(Date.now(), 'published before it signs').to.be.lessThan(Date.parse(rotated.activates_at));
    const scrape = async () => (await fetch(`${latchkey.issuer}/metrics`)).text();
    const during = await scrape();
    expect(sample(during, 'latchkey_signing_keys', { state: 'next' }), 'seen: a rotation under way').to.equal(2);
    expect(sample(during, 'latchkey_signing_keys', { state: 'active' })).to.equal(2);
    // A resource server using the guard library fetches the JWKS now and keeps it cached through the switch.
    const guard = createGuard({ issuer: latchkey.issuer, resource: `${latchkey.issuer}/api`, introspection: { clientId: 'unused', clientSecret: 'unused' } });
    await guard.authenticate(`Bearer ${before}`);
    resourceServer.guard = guard;
    await sleep(Date.parse(rotated.activates_at) - Date.now() + 3000);
    running = false;
    await workers;

    expect([...new Set(failures)].slice(0, 5), `${failures.length} failures`).to.deep.equal([]);
    // The token from before the rotation still verifies: its key is retiring, still published.
    await guard.authenticate(`Bearer ${before}`);
    expect((await call(latchkey.issuer, 'GET', '/api/v1/contacts', before)).status).to.equal(200);
    expect([...kids].sort()).to.deep.equal([oldKid, newKid].sort());
    const afterwards = await scrape();
    expect(sample(afterwards, 'latchkey_signing_keys', { state: 'retiring' })).to.equal(2);
    expect(sample(afterwards, 'latchkey_signing_keys', { state: 'next' })).to.equal(0);
    const listed = await latchkey.latchkey(['signing-keys', 'list']) as unknown as { data: { kid: string; state: string; retires_at: string | null }[] };
    const old = listed.data.find((k) => k.kid === oldKid)!;
    expect(old.state).to.equal('retiring');
    expect(Date.parse(old.retires_at!)).to.equal(Date.parse(rotated.activates_at) + RETIRE_AFTER_SECONDS * 1000);
    const after = (await (await fetch(`${latchkey.issuer}/jwks`)).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(after, 'the replaced key is still published').to.include(oldKid);
  });

  it('refuses a second rotation while one is under way, and keys given in LATCHKEY_JWKS', async () => {
    const again = await cli(['signing-keys', 'rotate', '--json'], latchkey.env);
    expect(again.code).to.equal(0, 'the earlier one is active now');
    const third = await cli(['signing-keys', 'rotate', '--json'], latchkey.env);
    expect(third.code).to.equal(1);
    expect(third.stderr).to.include('a rotation is already under way');
    const given = await startChild({ LATCHKEY_JWKS: await generateJwks() });
    try {
      const refused = await cli(['signing-keys', 'rotate', '--json'], given.env);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include('the signing keys are given in LATCHKEY_JWKS');
    } finally {
      await given.stop();
    }
  });
});

describe('several instances on one store', function () {
  this.timeout(60_000);
  const instances: Child[] = [];
  after(async () => { for (const instance of instances) await instance.stop(); });

  it('a rotation made by the CLI is published and then used by every instance, with no restart', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the instances share the embedded store's file here
    const first = await startChild({});
    instances.push(first);
    instances.push(await startChild({ DATA_DIR: first.env.DATA_DIR! }));
    const rotated = JSON.parse((await cli(['signing-keys', 'rotate', '--activate-after', '8s', '--json'], first.env)).stdout) as {
      activates_at: string; data: { kid: string; alg: string; state: string }[];
    };
    const newKids = rotated.data.filter((k) => k.state === 'next').map((k) => k.kid);
    const newEs256 = rotated.data.find((k) => k.state === 'next' && k.alg === 'ES256')!.kid;
    const publishedBy = async (instance: Child) => (await (await fetch(`${instance.issuer}/jwks`)).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    // Each instance reads the store every 5 seconds: both publish the new pair before it signs...
    for (const instance of instances) {
      let published = await publishedBy(instance);
      while (!newKids.every((kid) => published.includes(kid)) && Date.now() < Date.parse(rotated.activates_at)) {
        await sleep(200);
        published = await publishedBy(instance);
      }
      expect(published, 'published before it signs').to.include.members(newKids);
    }
    // ...and both sign with it once its time has come.
    await sleep(Date.parse(rotated.activates_at) - Date.now() + 1500);
    for (const instance of instances) {
      expect((await publishedBy(instance))[0], 'the new ES256 key comes first: it signs').to.equal(newEs256);
    }
  });
});

describe('LATCHKEY_SIGNING_KEY_ROTATION', function () {
  this.timeout(60_000);
  let latchkey: Child | undefined;
  after(() => latchkey?.stop());

  it('rotates generated keys on its own once they are older than the interval (their age unknown: at once), one rotation at a time', async () => {
    latchkey = await startChild({ LATCHKEY_SIGNING_KEY_ROTATION: '90d' });
    let listed: { data: { state: string }[] } = { data: [] };
    for (let i = 0; i < 40 && !listed.data.some((k) => k.state === 'next'); i += 1) {
      await sleep(250);
      listed = await latchkey.latchkey(['signing-keys', 'list']) as unknown as typeof listed;
    }
    expect(listed.data.filter((k) => k.state === 'next').length, 'a new pair, pending').to.equal(2);
    await sleep(6000);
    const later = await latchkey.latchkey(['signing-keys', 'list']) as unknown as typeof listed;
    expect(later.data.length, 'no second rotation while one is under way').to.equal(4);
  });

  it('is refused with keys given in LATCHKEY_JWKS, and outside 1h to 3650d', async () => {
    const jwks = await generateJwks();
    expect(() => loadSettings({ LATCHKEY_SIGNING_KEY_ROTATION: '90d', LATCHKEY_JWKS: jwks })).to.throw(/LATCHKEY_SIGNING_KEY_ROTATION: rotates generated signing keys only/);
    expect(() => loadSettings({ LATCHKEY_SIGNING_KEY_ROTATION: '10m' })).to.throw(/from 1h to 3650d/);
    expect(loadSettings({ LATCHKEY_SIGNING_KEY_ROTATION: '90d' }).signingKeyRotationSeconds).to.equal(90 * 86400);
  });
});

describe('retired signing keys', function () {
  this.timeout(60_000);
  let latchkey: Child | undefined;
  after(() => latchkey?.stop());

  it('leave the store once every token they signed has expired, each with one audit event', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the record is written into the embedded store's file
    latchkey = await startChild({});
    const file = join(latchkey.env.DATA_DIR!, 'latchkey.sqlite');
    const db = new DatabaseSync(file);
    try {
      // A rotation long past: the generated pair replaced an older one 17 minutes ago.
      const now = Math.floor(Date.now() / 1000);
      const generated = JSON.parse(String((db.prepare("SELECT value FROM secrets WHERE name = 'jwks'").get() as { value: string }).value)) as { keys: JWK[] };
      const older = (JSON.parse(await generateJwks()) as { keys: JWK[] }).keys;
      const entries = [
        ...await Promise.all(older.map((jwk) => entryOf(jwk, 1000, 1000))),
        ...await Promise.all(generated.keys.map((jwk) => entryOf(jwk, now - 17 * 60, now - 17 * 60))),
      ];
      db.prepare("INSERT INTO secrets (name, value) VALUES ('signing_keys', ?)").run(serializeEntries(entries));
      const olderKids = entries.slice(0, 2).map((e) => e.kid);
      let listed: { data: { kid: string; state: string }[] } = { data: [] };
      for (let i = 0; i < 40; i += 1) {
        await sleep(250);
        listed = await latchkey.latchkey(['signing-keys', 'list']) as unknown as typeof listed;
        if (listed.data.length === 2) break;
      }
      expect(listed.data.map((k) => k.kid), 'the retired pair left the store').to.not.include.members([olderKids[0]!]);
      expect(listed.data.map((k) => k.state)).to.deep.equal(['active', 'active']);
      const events = db.prepare("SELECT target_id FROM audit_events WHERE action = 'signing_key.retired' ORDER BY target_id").all() as { target_id: string }[];
      expect(events.map((e) => e.target_id)).to.deep.equal([...olderKids].sort());
    } finally {
      db.close();
    }
  });
});
