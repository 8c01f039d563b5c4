// Latchkey as a child process with its own catalog (config/scopes.ts reads LATCHKEY_CATALOG_FILE once
// per process), on a free loopback port and its own DATA_DIR, and the CLI with the same environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cli } from '../helpers/processes.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';

export const ORDERS = 'https://orders.example.com';

export const ORDERS_CATALOG = {
  resources: [{
    resource: ORDERS,
    name: 'Orders API',
    scopes: [
      { name: 'read:orders', description: 'See your orders', use_case: 'A fulfilment dashboard', consent: true },
      { name: 'write:orders', description: 'Place and cancel your orders', use_case: 'An order import', consent: false },
    ],
  }],
};

/** Writes a catalog file (any JSON value, or raw text) and returns its path. */
export function catalogFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'latchkey-catalog-')), 'catalog.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

export interface Child {
  readonly issuer: string;
  readonly env: Record<string, string>;
  readonly process: ChildProcess;
  /** Runs the CLI with the child's environment; parses its --json answer. */
  latchkey(args: string[]): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** The environment a child Latchkey gets: its own DATA_DIR (or MongoDB database) and the extra variables. */
function childEnv(port: number, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: 'test', PORT: String(port), ISSUER: `http://localhost:${port}`, DATA_DIR: tempDataDir(), ...extra };
  if (process.env.MONGODB_URI) Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI, MONGODB_DATABASE: `latchkey_catalog_${port}_${Date.now()}` });
  return env;
}

export async function startChild(extra: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const env = childEnv(port, extra);
  const child = spawn(process.execPath, [join(ROOT, 'server/main.ts')], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`latchkey did not start: ${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('latchkey started')) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`latchkey exited ${code}: ${output}`)); });
  });
  child.removeAllListeners('exit');
  return {
    issuer: env.ISSUER!,
    env,
    process: child,
    async latchkey(args) {
      const result = await cli([...args, '--json'], env);
      if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, string>;
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Drops the child's MongoDB database, when it had one. */
export async function dropChildDatabase(child: Child | undefined): Promise<void> {
  if (!child?.env.MONGODB_URI) return;
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(child.env.MONGODB_URI);
  try {
    await client.db(child.env.MONGODB_DATABASE).dropDatabase();
  } finally {
    await client.close();
  }
}
