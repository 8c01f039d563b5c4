// Starts the real Latchkey server on a free loopback port, with its own DATA_DIR.
import type { Role } from '../../config/roles.ts';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../config/settings.ts';
import { createLatchkey, type Latchkey } from '../../server/app.ts';
import { generateId } from '../../server/secrets.ts';
import { createClient, type CreateClientInput } from '../../server/clients/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger, type Logger } from '../../server/log.ts';
import { randomBase62 } from '../../server/secrets.ts';
import { runJwks, runPassword } from './run-fixtures.ts';
import { runFolder } from './run-folder.ts';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../../adapters/mongodb/index.ts';
import { recordSecret, testLogger } from './secret-registry.ts';

/**
 * Ports for test servers: below Linux's ephemeral range (32768 and up), so no outgoing connection of
 * any process takes one between freePort and the server binding it, and each claimed once per run
 * (a file created exclusively in the run folder), so two parallel workers never get the same one.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
let nextPort = FIRST_PORT;

function claim(port: number): boolean {
  const claims = join(runFolder(), 'ports');
  mkdirSync(claims, { recursive: true });
  try {
    closeSync(openSync(join(claims, String(port)), 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** Whether nothing on this machine listens on the port now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port no other test of this run has, and nothing listens on. */
export async function freePort(): Promise<number> {
  while (nextPort <= LAST_PORT) {
    const port = nextPort;
    nextPort += 1;
    if (claim(port) && await bindable(port)) return port;
  }
  throw new Error(`no free test port left between ${FIRST_PORT} and ${LAST_PORT}`);
}

/**
 * The embedded store's files (database and WAL) as text. Read by a child process: closing a file
 * descriptor of the database in this process would drop the running server's SQLite locks (POSIX
 * advisory-lock semantics) and leave its connection reading a stale snapshot.
 */
export function readStoreFiles(dataDir: string): string {
  return readdirSync(dataDir).filter((f) => f.startsWith('latchkey.sqlite'))
    .map((f) => execFileSync('cat', [join(dataDir, f)], { maxBuffer: 256 * 1024 * 1024 }).toString('latin1')).join('\n');
}

/** Everything the store holds, as text: the embedded file (and its WAL), or every MongoDB document. */
export async function storeContents(server: TestServer): Promise<string> {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    return readStoreFiles(server.dataDir);
  }
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db(server.mongodbDatabase);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    const documents = await Promise.all(names.map((name) => db.collection(name).find().toArray()));
    return JSON.stringify(documents);
  } finally {
    await client.close();
  }
}

/** A logger that keeps every line, as the JSON the console logger would print. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, ...fields }));
  };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** Every line to both loggers: a test's own, and the run's log file that is scanned for secrets. */
function tee(first: Logger, second: Logger): Logger {
  return {
    info: (message, fields) => { first.info(message, fields); second.info(message, fields); },
    warn: (message, fields) => { first.warn(message, fields); second.warn(message, fields); },
    error: (message, fields) => { first.error(message, fields); second.error(message, fields); },
  };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'latchkey-test-'));
}

export interface TestServer {
  readonly issuer: string;
  readonly mongodbDatabase: string;
  readonly dataDir: string;
  readonly latchkey: Latchkey;
  /** The environment the CLI needs to act on this server's store as the server does (its store and key material). */
  readonly cliEnv: Record<string, string | undefined>;
  /** Creates an account with one user; the password is returned for the login form. */
  createUser(name?: string): Promise<{ accountId: string; userId: string; email: string; password: string }>;
  /** Another member of an existing account, with its address confirmed (as an accepted invitation makes them). */
  addMember(accountId: string, role: Role): Promise<{ accountId: string; userId: string; email: string; password: string }>;
  createClient(input: Omit<CreateClientInput, 'accountId' | 'actor'> & { accountId?: string; actor?: string }): Promise<{
    clientId: string; clientSecret: string; accountId: string;
  }>;
  /** Stops the server; the data directory stays unless `removeData` is set. */
  stop(options?: { removeData?: boolean }): Promise<void>;
}

let counter = 0;

/** Where a production test server would send mail: a loopback port with nothing listening (discard). */
export const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:9';

export interface StartOptions {
  dataDir?: string;
  port?: number;
  /** Reuse a MongoDB database (a restart); default: a new one. */
  mongodbDatabase?: string;
  /** Where the server logs, besides the run's log file (secret-registry.ts). */
  log?: Logger;
  env?: Record<string, string>;
  /** Let the server generate its signing keys and keep them in the store, as a deployment without LATCHKEY_JWKS does. */
  generatedKeys?: boolean;
}

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Tries a few ports: between freePort checking one and the server binding it, a process outside the run may take it. */
const PORT_ATTEMPTS = 5;

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startServerOnce(options);
    } catch (err) {
      // A port the test chose itself is the test's business.
      if (!isAddressInUse(err) || options.port !== undefined || attempt === PORT_ATTEMPTS) throw err;
    }
  }
}

async function startServerOnce(options: StartOptions): Promise<TestServer> {
  const port = options.port ?? await freePort();
  const dataDir = options.dataDir ?? tempDataDir();
  const issuer = `http://localhost:${port}`;
  const givenKeys = options.generatedKeys || options.env?.LATCHKEY_JWKS !== undefined || options.env?.LATCHKEY_JWKS_FILE !== undefined;
  // With MONGODB_URI set, every test server runs on MongoDB, each in a database of its own.
  const env = {
    PORT: String(port), ISSUER: issuer, DATA_DIR: dataDir, NODE_ENV: 'test', MONGODB_URI: process.env.MONGODB_URI,
    MONGODB_DATABASE: options.mongodbDatabase ?? `latchkey_test_${randomBase62(10)}`,
    ...(givenKeys ? {} : { LATCHKEY_JWKS: runJwks() }),
    // Production refuses to start without a mail server: a loopback address nothing listens on, for
    // the tests of production that send no mail (those that do start a mailbox, test/helpers/mailbox.ts).
    ...(options.env?.NODE_ENV === 'production' ? { LATCHKEY_SMTP_URL: PRODUCTION_SMTP_URL } : {}),
    ...options.env,
  };
  const settings = loadSettings(env);
  const latchkey = await createLatchkey(settings, options.log ? tee(options.log, testLogger()) : testLogger());
  try {
    await latchkey.listen();
  } catch (err) {
    await latchkey.close();
    throw err;
  }
  const { pepper } = await loadKeyMaterial(settings, latchkey.store, silentLogger);

  const server: TestServer = {
    issuer,
    mongodbDatabase: settings.mongodbDatabase,
    dataDir,
    latchkey,
    cliEnv: { ...env, PORT: undefined },
    async createUser(name = 'Acme Corp') {
      counter += 1;
      const email = `user${counter}.${Date.now()}@example.com`;
      // The run's one password and hash (run-fixtures.ts), written through the store as sign-up would.
      const { password, passwordHash } = runPassword();
      recordSecret(password);
      const accountId = generateId('acct');
      const userId = generateId('user');
      const now = new Date();
      // An established account: its address confirmed (as the CLI makes them), so live credentials are allowed.
      await latchkey.store.createAccount({ id: accountId, name, createdAt: now }, { id: userId, accountId, email, passwordHash, createdAt: now, emailVerifiedAt: now });
      return { accountId, userId, email, password };
    },
    async addMember(accountId, role) {
      counter += 1;
      const email = `${role}${counter}.${Date.now()}@example.com`;
      const { password, passwordHash } = runPassword();
      const userId = generateId('user');
      const now = new Date();
      await latchkey.store.createUser({ id: userId, accountId, email, passwordHash, createdAt: now, emailVerifiedAt: now, role });
      return { accountId, userId, email, password };
    },
    async createClient(input) {
      const accountId = input.accountId ?? (await server.createUser('Partner Inc')).accountId;
      const created = await createClient(latchkey.store, pepper, { actor: 'cli', ...input, accountId });
      recordSecret(created.clientSecret ?? undefined);
      return { clientId: created.clientId, clientSecret: created.clientSecret ?? '', accountId };
    },
    async stop({ removeData = false } = {}) {
      if (removeData && latchkey.store instanceof MongoStore) await latchkey.store.dropDatabase();
      await latchkey.close();
      if (removeData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
