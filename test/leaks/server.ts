// The real server (its leak routes as server/app.ts mounts them), with helpers making the credentials
// a report names.
import { rmSync } from 'node:fs';
import { loadSettings } from '../../config/settings.ts';
import { createAccountWithUser } from '../../server/accounts/service.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { createLatchkey, type Latchkey } from '../../server/app.ts';
import { createClient } from '../../server/clients/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger, type Logger } from '../../server/log.ts';
import { randomBase62, type Pepper } from '../../server/secrets.ts';
import { MongoStore } from '../../adapters/mongodb/index.ts';
import { recordSecret, testLogger } from '../helpers/secret-registry.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';

export interface LeakServer {
  readonly issuer: string;
  readonly latchkey: Latchkey;
  readonly pepper: Pepper;
  createUser(): Promise<{ accountId: string; email: string; password: string }>;
  createApiKey(accountId: string): Promise<{ id: string; key: string }>;
  createClient(accountId: string, type?: 'service' | 'web', redirectUris?: string[]): Promise<{ clientId: string; clientSecret: string }>;
  stop(): Promise<void>;
}

let users = 0;

export async function startLeakServer(options: { githubScanningKeysFile?: string; log?: Logger } = {}): Promise<LeakServer> {
  const port = await freePort();
  const dataDir = tempDataDir();
  const issuer = `http://localhost:${port}`;
  const settings = loadSettings({
    PORT: String(port), ISSUER: issuer, DATA_DIR: dataDir, NODE_ENV: 'test', MONGODB_URI: process.env.MONGODB_URI,
    MONGODB_DATABASE: `latchkey_test_${randomBase62(10)}`, LATCHKEY_GITHUB_SCANNING_KEYS_FILE: options.githubScanningKeysFile,
  });
  const log = options.log ?? testLogger();
  const latchkey = await createLatchkey(settings, log);
  const { pepper } = await loadKeyMaterial(settings, latchkey.store, silentLogger);
  await latchkey.listen();
  const store = latchkey.store;
  return {
    issuer, latchkey, pepper,
    async createUser() {
      users += 1;
      const email = `leak${users}.${Date.now()}@example.com`;
      const password = `correct horse battery ${users}`;
      recordSecret(password);
      const { accountId } = await createAccountWithUser(store, { name: 'Leaky Ltd', email, password });
      return { accountId, email, password };
    },
    async createApiKey(accountId) {
      const { record, key } = await createKey(store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
      recordSecret(key);
      return { id: record.id, key };
    },
    async createClient(accountId, type = 'service', redirectUris = []) {
      const scopes = type === 'web' ? 'offline_access read:contacts' : 'read:contacts';
      const created = await createClient(store, pepper, { accountId, name: 'Leaky App', type, scopes, redirectUris, actor: 'cli' });
      recordSecret(created.clientSecret);
      return { clientId: created.clientId, clientSecret: created.clientSecret! };
    },
    async stop() {
      if (store instanceof MongoStore) await store.dropDatabase();
      await latchkey.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs raw bytes; the answer's status, headers and exact body text. */
export async function post(issuer: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}
