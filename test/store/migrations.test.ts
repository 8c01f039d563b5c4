// Schema versions of the embedded store: a data directory written before versions existed (main at
// d17966f, see fixtures/README.md) is migrated at boot and everything in it keeps working; two
// instances migrating one file at once agree; a file from a newer Latchkey stops boot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { legacySecretId } from '../../adapters/client-lifecycle.ts';
import { StoreSchemaError } from '../../adapters/contract.ts';
import { SqliteStore } from '../../adapters/sqlite/index.ts';
import { SCHEMA_VERSION } from '../../adapters/sqlite/migrations.ts';
import { generateSortableId } from '../../server/secrets.ts';
import { call } from '../helpers/api.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { runNode } from '../helpers/processes.ts';
import { startServer, tempDataDir } from '../helpers/server.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'main-d17966f.credentials.json'), 'utf8')) as Record<string, string> & { written_at: number };
const secret = (name: string) => Buffer.from(fixture[`${name}_base64`]!, 'base64').toString();

/**
 * A data directory as main at d17966f left it, its clock moved to now: the dump's tokens were
 * issued when it was made, and a refresh token lives 30 days.
 */
function oldDataDir(): string {
  const dir = tempDataDir();
  const db = new DatabaseSync(join(dir, 'latchkey.sqlite'));
  db.exec(readFileSync(join(FIXTURES, 'main-d17966f.sql'), 'utf8'));
  const shift = Date.now() - fixture.written_at;
  db.prepare(`
    UPDATE oidc SET expires_at = expires_at + ?,
      payload = json_set(payload, '$.iat', json_extract(payload, '$.iat') + ?, '$.exp', json_extract(payload, '$.exp') + ?)
    WHERE model IN ('Grant', 'RefreshToken')
  `).run(shift, Math.floor(shift / 1000), Math.floor(shift / 1000));
  db.close();
  return dir;
}

function versionsIn(dir: string): number[] {
  const db = new DatabaseSync(join(dir, 'latchkey.sqlite'), { readOnly: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get();
    return hasTable ? (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version) : [];
  } finally {
    db.close();
  }
}

describe('embedded store migrations', () => {
  it('boots on a data directory written by main at d17966f: every account, client, key and token still works', async () => {
    const dir = oldDataDir();
    expect(versionsIn(dir), 'no versions recorded before').to.deep.equal([]);
    // The dump's tokens name the issuer they were issued by; the server listens on a port of its own.
    const server = await startServer({ dataDir: dir, env: { ISSUER: fixture.issuer! } });
    try {
      expect(await server.latchkey.store.schemaVersion()).to.equal(SCHEMA_VERSION);
      const base = server.issuer;
      const basic = (id: string, name: string) => `Basic ${Buffer.from(`${id}:${secret(name)}`).toString('base64')}`;
      const token = async (authorization: string, params: Record<string, string>) => {
        const response = await fetch(`${base}/token`, {
          method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
        });
        return { status: response.status, body: await response.json() as Record<string, string> };
      };
      const verify = async (jwt: string) => (await jwtVerify(jwt, createRemoteJWKSet(new URL(`${base}/jwks`)), {
        issuer: fixture.issuer, audience: `${fixture.issuer}/api`, typ: 'at+jwt',
      })).payload;

      // The user signs in with the password set then.
      const browser = new Browser();
      const login = pageOf(await browser.navigate(`${base}/portal/login`, 'nowhere:'));
      const home = pageOf(await browser.submit(Browser.forms(login)[0]!, { email: fixture.email!, password: fixture.password! }, 'nowhere:'));
      expect(home.status).to.equal(200);
      expect(home.html).to.include('Fixture key');
      // Version 10: the user who made the account alone owns it; the account requires nothing new.
      const user = (await server.latchkey.store.findUserByEmail(fixture.email!))!;
      expect(user.role).to.equal('owner');
      expect((await server.latchkey.store.findAccount(user.accountId))?.policy).to.deep.equal({ requireTwoFactor: false, liveAdminsOnly: false });
      expect((await server.latchkey.store.listMembers(user.accountId)).map((m) => m.id)).to.deep.equal([user.id]);
      const apps = pageOf(await browser.navigate(`${base}/portal/connected-apps`, 'nowhere:'));
      expect(apps.html, 'the grant given then is a connected app').to.include('Fixture Web App');

      // The API key, the service client's secret and the signing keys made then.
      expect((await call(base, 'GET', '/api/v1/contacts', secret('api_key'))).status).to.equal(200);
      const cc = await token(basic(fixture.service_client_id!, 'service_client_secret'), { grant_type: 'client_credentials', scope: 'read:contacts' });
      expect(cc.status, JSON.stringify(cc.body)).to.equal(200);
      expect((await verify(cc.body.access_token!)).account_id).to.equal(fixture.account_id);

      // The refresh token issued then, with the web client's secret.
      const refreshed = await token(basic(fixture.web_client_id!, 'web_client_secret'), { grant_type: 'refresh_token', refresh_token: secret('refresh_token') });
      expect(refreshed.status, JSON.stringify(refreshed.body)).to.equal(200);
      const claims = await verify(refreshed.body.access_token!);
      expect(claims.account_id).to.equal(fixture.account_id);
      expect(claims.grant_id).to.be.a('string');
    } finally {
      await server.stop({ removeData: true });
    }
  });

  it("gives the old data directory's clients their version 5 fields, and its events no detail", async () => {
    const dir = oldDataDir();
    const store = new SqliteStore(dir);
    try {
      const clients = await store.listClients(fixture.account_id!);
      expect(clients.map((c) => c.id).sort()).to.deep.equal([fixture.web_client_id, fixture.service_client_id].sort());
      for (const client of clients) {
        expect(client.secretHash).to.be.a('string');
        // One entry for the secret made then: its value is unknown, so no last four characters.
        expect(client.secrets).to.deep.equal([{
          id: legacySecretId(client.id), hash: client.secretHash, last4: '', createdAt: client.createdAt,
          expiresAt: undefined, revokedAt: undefined, revokedReason: undefined,
        }]);
        expect(client).to.deep.include({ createdBy: 'cli', revision: 1, homepageUrl: undefined, logoDigest: undefined });
        expect(client.updatedAt.getTime()).to.equal(client.createdAt.getTime());
        expect(await store.findClientLogo(client.id)).to.equal(undefined);
      }
      // The revision-conditional edit finds them at revision 1.
      const web = clients.find((c) => c.id === fixture.web_client_id)!;
      const event = { id: generateSortableId('evt'), accountId: web.accountId, actor: 'cli', action: 'client.updated', targetId: web.id, reason: undefined, at: new Date() };
      expect(await store.updateClient({ ...web, name: 'Renamed', revision: 2 }, 1, event)).to.equal(true);
      const events = await store.listAuditEvents(fixture.account_id!, 10);
      expect(events.map((e) => e.action)).to.deep.equal(['client.updated', 'api_key.created']);
      expect(events[1]!.detail).to.equal(undefined);
    } finally {
      await store.close();
    }
  });

  it("moves the old data directory's OAuth records to a table with row ids (version 13), each record and index kept", async () => {
    const dir = oldDataDir();
    const file = join(dir, 'latchkey.sqlite');
    const read = (sql: string) => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db.prepare(sql).all() as Record<string, string>[];
      } finally {
        db.close();
      }
    };
    const records = 'SELECT model, id, payload, grant_id, uid, user_code, account_id, client_id, consumed_at, expires_at FROM oidc ORDER BY model, id';
    const before = read(records);
    expect(before.map((r) => r.model)).to.include.members(['Grant', 'RefreshToken']);
    const store = new SqliteStore(dir);
    await store.close();
    expect(read(records)).to.deep.equal(before);
    const [table] = read("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'oidc'");
    expect(table!.sql).to.include('PRIMARY KEY (model, id)').and.not.match(/WITHOUT ROWID/i);
    const indexes = read("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oidc' AND sql IS NOT NULL ORDER BY name").map((r) => r.name);
    expect(indexes).to.deep.equal(['oidc_account_client', 'oidc_expires_at', 'oidc_grant_client', 'oidc_grant_exp', 'oidc_grant_id', 'oidc_uid', 'oidc_user_code']);
  });

  it("finds the old data directory's clients by their secrets' hashes (version 7 indexes them)", async () => {
    const dir = oldDataDir();
    const store = new SqliteStore(dir);
    try {
      for (const client of await store.listClients(fixture.account_id!)) {
        expect((await store.findClientBySecretHash(client.secretHash!))?.id).to.equal(client.id);
      }
      expect(await store.listClients(fixture.account_id!)).to.have.length(2);
    } finally {
      await store.close();
    }
  });

  it('lets two instances migrate one old data directory at once: one applies, the other waits', async () => {
    const dir = oldDataDir();
    const [a, b] = await Promise.all([1, 2].map(() => runNode('test/helpers/open-store.ts', [dir], {})));
    for (const run of [a!, b!]) {
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({ version: SCHEMA_VERSION });
    }
    expect(versionsIn(dir)).to.deep.equal(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('moves webhooks from the Partner API records to their own table (version 12), with their secrets and deliveries', async () => {
    const dir = tempDataDir();
    await new SqliteStore(dir).close();
    // The file as version 11 left it: a webhook among the records, with a delivery.
    const db = new DatabaseSync(join(dir, 'latchkey.sqlite'));
    const now = Date.now();
    db.exec(`
      DROP TABLE webhooks;
      DELETE FROM schema_migrations WHERE version >= 12;
      CREATE INDEX records_webhook_creator ON records (json_extract(data, '$.created_by')) WHERE kind = 'webhook';
      INSERT INTO accounts (id, name, created_at) VALUES ('acct_hooks', 'Hooks', ${now});
      INSERT INTO records (kind, account_id, environment, id, data, created_at, updated_at) VALUES
        ('webhook', 'acct_hooks', 'live', 'wh_moved', '{"url":"https://example.com/h","events":["api_key.revoked"],"signing_secret":"v1.sealed","created_by":"user:u"}', ${now}, ${now}),
        ('contact', 'acct_hooks', 'live', 'ct_stays', '{"name":"Ada"}', ${now}, ${now});
      INSERT INTO outbox_events (id, account_id, environment, type, data, created_at) VALUES ('evt_1', 'acct_hooks', 'live', 'api_key.revoked', '{}', ${now});
      INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, environment, event_type, status, attempts, next_attempt_at, created_at)
        VALUES ('msg_1', 'evt_1', 'wh_moved', 'acct_hooks', 'live', 'api_key.revoked', 'delivered', 1, ${now}, ${now});
    `);
    db.close();
    const store = new SqliteStore(dir);
    try {
      const place = { accountId: 'acct_hooks', environment: 'live' } as const;
      const moved = await store.findWebhook(place, 'wh_moved');
      expect(moved?.data).to.deep.include({ url: 'https://example.com/h', signing_secret: 'v1.sealed', created_by: 'user:u' });
      expect(await store.findRecord({ kind: 'webhook', ...place }, 'wh_moved'), 'no longer a record').to.equal(undefined);
      expect(await store.findRecord({ kind: 'contact', ...place }, 'ct_stays'), 'the other records stay').to.not.equal(undefined);
      expect((await store.listDeliveries('acct_hooks', 'wh_moved', { limit: 5 })).map((d) => d.id)).to.deep.equal(['msg_1']);
    } finally {
      await store.close();
    }
  });

  it('refuses a data directory written by a newer Latchkey, at boot, saying what to do', async () => {
    const dir = tempDataDir();
    await new SqliteStore(dir).close();
    const db = new DatabaseSync(join(dir, 'latchkey.sqlite'));
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'from the future', Date.now());
    db.close();
    expect(() => new SqliteStore(dir)).to.throw(StoreSchemaError, /newer than this Latchkey knows/);
    const run = await runNode('server/main.ts', [], { DATA_DIR: dir, PORT: '0' });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`schema version ${SCHEMA_VERSION + 1}`).and.include('run a newer Latchkey or restore a backup');
  });
});
