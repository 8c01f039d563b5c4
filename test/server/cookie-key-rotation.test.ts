// Cookie keys kept in the store rotate like the given ones: `latchkey cookie-keys rotate` puts a new
// key first; running instances follow within seconds, and a browser signed in before the rotation
// keeps its session (the old key still verifies its cookies).
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { Browser } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { startChild, type Child } from '../catalog/child.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('latchkey cookie-keys rotate', function () {
  this.timeout(60_000);
  let latchkey: Child;
  before(async function () {
    if (process.env.MONGODB_URI) this.skip(); // the stored keys are read from the file below
    latchkey = await startChild({});
  });
  after(() => latchkey?.stop());

  /** The cookie keys the store keeps, newest first (read from the file, as an operator could). */
  function storedCookieKeys(): string[] {
    const db = new DatabaseSync(join(latchkey.env.DATA_DIR!, 'latchkey.sqlite'), { readOnly: true });
    try {
      return String((db.prepare("SELECT value FROM secrets WHERE name = 'cookie_keys'").get() as { value: string }).value).split(',');
    } finally {
      db.close();
    }
  }

  it('a new key signs while the old one still verifies: a session from before goes on, with no password asked', async () => {
    const email = `cookies.${Date.now()}@example.com`;
    const password = 'correct horse battery staple 13';
    const account = await latchkey.latchkey(['account', 'create', '--name', 'Cookie Co', '--email', email, '--password', password]);
    const redirectUri = 'http://localhost:8771/callback';
    const made = await latchkey.latchkey(['client', 'create', '--account', account.account_id!, '--name', 'Web', '--type', 'web', '--scopes', 'read:contacts', '--redirect-uri', redirectUri]);
    const app: WebApp = { as: await discover(latchkey.issuer), clientId: made.client_id!, clientSecret: made.client_secret!, redirectUri };
    const browser = new Browser();
    await authorizeAndExchange(app, { email, password }, { scope: 'read:contacts', browser });

    const rotated = await cli(['cookie-keys', 'rotate', '--json'], latchkey.env);
    expect(rotated.code, rotated.stderr).to.equal(0);
    expect(JSON.parse(rotated.stdout)).to.include({ keys: 2, dropped: 0 });
    await sleep(6000); // every instance reads the store's keys every 5 seconds

    // A wrong password: the flow can only pass through the session the old key signed.
    const again = await authorizeAndExchange(app, { email, password: 'not the password at all' }, { scope: 'read:contacts', browser });
    expect(again.tokens.access_token).to.be.a('string');
    expect(again.sawConsent, 'the grant from before is remembered too').to.equal(undefined);

    // A browser arriving now gets its session cookie signed by the new key, the first the store lists.
    const fresh = new Browser();
    await authorizeAndExchange(app, { email, password }, { scope: 'read:contacts', browser: fresh });
    const [newest, previous] = storedCookieKeys();
    const signature = (key: string) => createHmac('sha1', key).update(`_session=${fresh.cookie('_session')!}`).digest('base64url');
    expect(fresh.cookie('_session.sig')).to.equal(signature(newest!)).and.not.equal(signature(previous!));
  });

  it('keeps three keys at most', async () => {
    for (let i = 0; i < 3; i += 1) expect((await cli(['cookie-keys', 'rotate', '--json'], latchkey.env)).code).to.equal(0);
    const last = JSON.parse((await cli(['cookie-keys', 'rotate', '--json'], latchkey.env)).stdout) as { keys: number; dropped: number };
    expect(last).to.deep.equal({ object: 'cookie_key_rotation', keys: 3, dropped: 1 });
  });
});
